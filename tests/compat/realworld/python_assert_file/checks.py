import re


def get_assert(output, context):
    words = len(output.split())
    limit = int(context["vars"].get("limit", 10))
    ok = words <= limit
    return {
        "pass": ok,
        "score": 1.0 if ok else limit / words,
        "reason": f"{words} words, limit {limit}",
        "named_scores": {"brevity": 1.0 if ok else 0.0},
    }


def has_url(output, context):
    return bool(re.search(r"https?://\S+", output))
