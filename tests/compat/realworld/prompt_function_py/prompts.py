def support_prompt(context):
    vars = context["vars"]
    tone = "formal" if vars.get("vip") == "yes" else "friendly"
    return f"[{tone}] Customer {vars['name']} asks: {vars['question']}"


def short_prompt(context):
    return "Q: " + context["vars"]["question"]
