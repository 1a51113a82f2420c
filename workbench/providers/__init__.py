"""Providers: the models a run calls. Resolution of a suite's provider specs is
`workbench.providers.resolution` (the registry of built-ins and plugins); this package file imports
nothing, so a reader that needs only prices (`pricing`) or the test-double rule (`test_doubles`)
does not load every built-in provider (jinja2 templating, suite loading, HTTP clients)."""
