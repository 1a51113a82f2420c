def extension_hook(hook_name, context):
    if hook_name == "beforeAll":
        for test in context["suite"]["tests"]:
            test.setdefault("vars", {})["audience"] = "kids"
        return context
    if hook_name == "beforeEach":
        context["test"]["vars"]["topic"] = context["test"]["vars"]["topic"].title()
        return context
    return None
