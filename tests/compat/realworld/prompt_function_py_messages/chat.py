import json


def build(context):
    v = context["vars"]
    messages = [
        {"role": "system", "content": f"You translate into {v['language']}."},
        {"role": "user", "content": v["text"]},
    ]
    return json.dumps(messages)


def as_list(context):
    v = context["vars"]
    return [{"role": "user", "content": f"{v['text']} -> {v['language']}"}]
