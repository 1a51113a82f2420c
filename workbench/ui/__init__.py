"""The Streamlit UI: `workbench ui` serves `app.py`. Pages render library results; nothing here computes a metric."""
