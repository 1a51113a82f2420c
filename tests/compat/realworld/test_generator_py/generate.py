CITIES = [("Paris", "France"), ("Lima", "Peru"), ("Oslo", "Norway")]


def generate_tests(config=None):
    tests = []
    for city, country in CITIES:
        tests.append(
            {
                "description": f"capital of {country}",
                "vars": {"country": country, "city": city},
                "assert": [{"type": "contains", "value": city}],
            }
        )
    tests.append(
        {"vars": {"country": "Atlantis", "city": "?"}, "assert": [{"type": "contains", "value": "Poseidonis"}]}
    )
    return tests
