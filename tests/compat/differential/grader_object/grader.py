import json


def call_api(prompt, options, context):
    return {"output": json.loads(prompt)}
