"""The plugin door: a tiny plugin package installed beside workbench adds a provider, an assertion
type and a compressor, found through the `workbench.plugins` entry-point group, and a suite using
all three runs end to end through the CLI in a subprocess.

"Installed" = a copy of tests/fixtures/plugins/workbench_shout plus a `.dist-info` directory with
its entry point, on PYTHONPATH: exactly what importlib.metadata reads for a pip-installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import workbench.plugins as plugins
from workbench.assertions import table
from workbench.compression import service
from workbench.errors import PluginError
from workbench.providers.resolution import provider_registry

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_SRC = ROOT / "tests" / "fixtures" / "plugins" / "workbench_shout" / "workbench_shout"

SUITE = """
description: plugin door
prompts:
  - "Say {{topic}} now please"
providers:
  - id: shout:loud
    config: {suffix: "!!"}
  - echo
workbench:
  variants: [none, "first-words:0.5"]
  compressible: [topic]
tests:
  - vars: {topic: hello there big world}
    assert:
      - type: is-shouting
      - type: not-is-shouting
        value: 0.5
"""


def install_plugin(site: Path, module: str = "workbench_shout", source: str | None = None, name: str = "shout") -> None:
    """Put a package and its dist-info (with the entry point) into `site`, as pip would."""
    site.mkdir(parents=True, exist_ok=True)
    if source is None:
        shutil.copytree(PLUGIN_SRC, site / module)
    else:
        (site / module).mkdir()
        (site / module / "__init__.py").write_text(source)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[workbench.plugins]\n{name} = {module}\n")


def run_cli(args: list[str], cwd: Path, site: Path | None, **env: str) -> subprocess.CompletedProcess[str]:
    path = [str(site)] if site else []
    path += [str(ROOT), os.environ.get("PYTHONPATH", "")]
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p), **env},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "suite.yaml").write_text(SUITE)
    return tmp_path


def test_a_plugin_adds_a_provider_an_assertion_and_a_compressor_end_to_end(project: Path) -> None:
    site = project / "site"
    install_plugin(site)
    proc = run_cli(["run", "suite.yaml", "--db", "wb.db", "-o", "out.json", "-q"], project, site)
    assert proc.returncode in (0, 100), proc.stderr  # 100: some rows failed (echo is not shouting)
    rows = json.loads((project / "out.json").read_text())["results"]["results"]
    seen = {}
    for r in rows:
        comps = r["gradingResult"]["componentResults"]
        seen[(r["provider"]["id"], r["prompt"]["raw"])] = (
            r["response"]["output"],
            r["success"],
            [c["pass"] for c in comps],
        )
    assert len(rows) == 4  # 2 providers x 2 variants
    outputs = {k: v[0] for k, v in seen.items()}
    # shout: the plugin provider, with its config; the first-words compressor halved the topic
    assert "SAY HELLO THERE BIG WORLD NOW PLEASE!!" in outputs.values()
    assert "SAY HELLO THERE NOW PLEASE!!" in outputs.values()
    assert "Say hello there now please" in outputs.values()  # echo of the compressed variant
    for output, success, passes in seen.values():
        shouting = output.isupper() or output.endswith("!!")
        # is-shouting (plugin handler) and its `not-` form (inverted by scoring, as for a built-in)
        assert passes == ([True, False] if shouting else [False, True])
        assert success is False  # each row fails one of the two
    summary = run_cli(["runs", "--json"], project, site, WORKBENCH_DB=str(project / "wb.db"))
    assert summary.returncode == 0, summary.stderr


def test_without_the_plugin_its_ids_are_unknown(project: Path) -> None:
    site = project / "site"
    install_plugin(site)
    proc = run_cli(["run", "suite.yaml", "--db", "wb.db", "-q"], project, site, WORKBENCH_LOAD_PLUGINS="")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "Error: variant 'first-words:0.5': unknown method 'first-words' (known: none, llmlingua, longllmlingua, llmlingua2)"
    )
    (project / "suite.yaml").write_text(SUITE.replace('"first-words:0.5"', ""))
    proc = run_cli(["run", "suite.yaml", "--db", "wb.db", "-q"], project, site, WORKBENCH_LOAD_PLUGINS="other")
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .endswith("unknown provider id 'shout:loud' (see `workbench models` for known ids)")
    )


def test_a_broken_plugin_is_one_line_and_exit_2(project: Path) -> None:
    site = project / "site"
    install_plugin(site, "broken_plugin", "import not_a_module_anywhere\n", name="broken")
    proc = run_cli(["run", "suite.yaml", "--db", "wb.db", "-q"], project, site)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert lines[-1] == (
        "Error: plugin 'broken' (broken_plugin, entry point group workbench.plugins): cannot be loaded:"
        " ModuleNotFoundError: No module named 'not_a_module_anywhere'"
    )
    assert not (project / "wb.db").exists()  # refused before anything is written


@pytest.fixture
def in_process_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin installed for this process only; registries and the plugin list start fresh."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(plugins, "_loaded", None)
    monkeypatch.setattr(table.assertion_types, "loaded", None)
    monkeypatch.setattr(service.compressors, "loaded", None)
    monkeypatch.setattr(provider_registry, "loaded", None)
    return site


def test_builtins_register_through_the_same_hooks(in_process_plugin: Path) -> None:
    install_plugin(in_process_plugin)
    found = plugins.outside_plugins()
    assert [(p.name, p.dist, p.hooks) for p in found] == [
        ("shout", "workbench-shout 0.1", ("register_providers", "register_assertions", "register_compressors"))
    ]
    names = [f.name for f in provider_registry().factories()]
    assert names[0] == "shout" and set(names[1:]) == {
        "echo",
        "local",
        "litellm",
        "http",
        "exec",
        "python",
        "javascript",
    }
    shout = table.lookup("is-shouting")
    assert shout is not None and not shout.model_graded and not shout.guardrail
    assert service.compressors().names()[-1] == "first-words"
    # the facts about built-in types live in the registry
    facts = {t.name: t for t in table.assertion_types().types()}
    assert facts["llm-rubric"].model_graded and facts["select-best"].model_graded
    assert facts["select-best"].cross_output and facts["max-score"].cross_output
    assert facts["guardrails"].guardrail and facts["moderation"].guardrail
    assert facts["python"].needs_code and facts["javascript"].needs_code
    assert facts["contains-json"].handles_inverse and not facts["equals"].needs_code
    assert table.is_guardrail({"type": "not-guardrails"}) and table.is_guardrail({"type": "x", "metric": "guardrail-a"})


def test_unknown_hook_names_are_refused(in_process_plugin: Path) -> None:
    install_plugin(in_process_plugin, "typo_plugin", "def register_provider(registry):\n    pass\n", name="typo")
    with pytest.raises(PluginError, match="unknown hook 'register_provider'"):
        plugins.outside_plugins()


def test_a_plugin_registering_the_wrong_thing_is_refused(in_process_plugin: Path) -> None:
    install_plugin(in_process_plugin, "wrong_plugin", "def register_assertions(registry):\n    registry.add('x')\n")
    with pytest.raises(PluginError, match="expected an AssertionType, got str"):
        table.assertion_types()


def test_plugins_command_lists_what_each_plugin_registers(project: Path) -> None:
    site = project / "site"
    install_plugin(site)
    proc = run_cli(["plugins", "--json"], project, site)
    assert proc.returncode == 0, proc.stderr
    entries = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["name"] for e in entries] == ["(built-in)", "shout"]
    assert entries[1] == {
        "name": "shout",
        "dist": "workbench-shout 0.1",
        "providers": ["shout"],
        "assertions": ["is-shouting"],
        "compressors": ["first-words"],
    }
    builtins = entries[0]
    assert {"echo", "litellm", "local", "http", "exec", "python", "javascript"} == set(builtins["providers"])
    assert {"equals", "llm-rubric", "select-best", "max-score"} <= set(builtins["assertions"])
    assert builtins["compressors"] == ["llmlingua", "longllmlingua", "llmlingua2"]
    text = run_cli(["plugins"], project, site)
    assert text.stdout.splitlines()[-4:] == [
        "shout (workbench-shout 0.1)",
        "  providers: shout",
        "  assertions: is-shouting",
        "  compressors: first-words",
    ]
