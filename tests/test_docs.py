"""The docs tell the truth about the CLI: every command has help text and is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

from workbench import errors
from workbench.ci.gates import EXIT_GATE
from workbench.cli.actions.compat import EXIT_DISAGREE
from workbench.cli.main import COMMANDS, cli
from workbench.report import FORMATS
from workbench.run.batch_mode import BatchPending
from workbench.run.interrupts import EXIT_SIGINT, EXIT_SIGTERM
from workbench.store.db import open_db

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _cli_reference() -> str:
    start = README.index("## CLI reference")
    end = README.index("\n## ", start + 1)
    return README[start:end]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output or f"Usage: workbench {name}" in result.output
    body = result.output.split("\n", 2)[2].strip()
    assert len(body) > 20, f"`workbench {name} --help` has no description"
    command = cli.get_command(click.Context(cli), name)
    for sub in command.commands if isinstance(command, click.Group) else []:
        sub_help = CliRunner().invoke(cli, [name, sub, "--help"]).output
        assert "None" not in sub_help, sub_help
    assert "None" not in result.output, f"`workbench {name} --help` shows a range or default of None"
    assert f"`workbench {name}" in _cli_reference(), f"`workbench {name}` is missing from the README's CLI reference"


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s", result.output, re.M), name


def test_readme_links_point_at_files() -> None:
    for target in re.findall(r"\]\(((?:docs|\.github)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1] == "make test"


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def _names(command: click.Command) -> set[str]:
    """Every option name of COMMAND and of its subcommands, `--help` included."""
    names = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts + param.secondary_opts)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            names |= _names(sub)
    return names


def _options() -> dict[str, set[str]]:
    ctx = click.Context(cli)
    return {name: _names(cli.get_command(ctx, name)) for name in COMMANDS}  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_in_the_commands_row_of_the_cli_reference(name: str) -> None:
    """The reference names each option (any of its spellings; `--db` is described once above the table)."""
    rows = [row for row in _cli_reference().splitlines() if re.match(rf"\| `workbench {name}\b(?!-)", row)]
    assert len(rows) == 1, f"`workbench {name}` needs exactly one row in the CLI reference"
    documented = set(_OPTION.findall(rows[0]))
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert command is not None
    commands = [command, *(command.commands.values() if isinstance(command, click.Group) else [])]
    for cmd in commands:
        for param in cmd.params:
            if isinstance(param, click.Option) and "--db" not in param.opts:
                spellings = set(param.opts + param.secondary_opts)
                assert spellings & documented, f"`workbench {name}` option {param.opts[-1]} is not in its README row"
    assert "`--db PATH`" in _cli_reference()


def _documented_invocations(text: str) -> list[tuple[str, str]]:
    """(command, argument text) of each `workbench CMD ...` in code spans and code lines."""
    found = []
    for chunk in re.findall(r"`([^`\n]+)`", text) + text.splitlines():
        for match in re.finditer(r"\bworkbench ([a-z][\w-]*)((?:\s+(?!\||workbench\b)[^\s|`;&]+)*)", chunk):
            found.append((match.group(1), match.group(2)))
    return found


def test_every_documented_option_exists() -> None:
    """An option written after `workbench CMD` in README.md or docs/*.md is one CMD accepts."""
    options = _options()
    wrong = []
    for path in DOCS:
        for command, args in _documented_invocations(path.read_text(encoding="utf-8")):
            if command not in options:
                continue
            accepted = options[command]
            group = cli.get_command(click.Context(cli), command)
            if isinstance(group, click.Group) and args.split()[:1]:
                # `workbench route train ...`: the subcommand's own options, and it must exist
                first = args.split()[0]
                if not first.startswith("-"):
                    name = first.rstrip("\\")  # the CLI reference's `route train\|eval\|...` ends at `\|`
                    if name not in group.commands:
                        wrong.append(f"{path.name}: workbench {command} {name}: no such subcommand")
                        continue
                    if name == first:
                        accepted = _names(group.commands[name])
            for option in _OPTION.findall(args):
                if option not in accepted:
                    wrong.append(f"{path.name}: workbench {command} {option}")
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        # the recipe README tells users to copy; a folded command's options sit on continuation lines
        text = re.sub(r'(?:workbench"?)\n\s+', "workbench ", workflow.read_text(encoding="utf-8"))
        text = re.sub(r"\n\s+(?=--|-o )", " ", text.replace('workbench" ', "workbench "))
        for command, args in _documented_invocations(text):
            for option in _OPTION.findall(args):
                if command in options and option not in options[command]:
                    wrong.append(f"{workflow.name}: workbench {command} {option}")
    demo = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8").replace("\\\n", " ")
    for command, args in _documented_invocations(demo.replace("$WB ", "workbench ")):
        for option in _OPTION.findall(args):
            if command in options and option not in options[command]:
                wrong.append(f"demo.sh: workbench {command} {option}")
    assert not wrong, wrong
    for row in _cli_reference().splitlines():
        match = re.match(r"\| `workbench (\w+)", row)
        if match:
            # `run --plan` in plan's row names another command's option: drop such spans first
            own = re.sub(r"`(?:" + "|".join(COMMANDS) + r") --[^`]*`", "", row)
            unknown = set(_OPTION.findall(own)) - options[match.group(1)]
            assert not unknown, f"README row of `workbench {match.group(1)}` names unknown options {unknown}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    anchors: set[str] = set(re.findall(r'<a (?:name|id)="([^"]+)"', text))
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#+\s+(.*)$", text, re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve_to_files_and_anchors(path: Path) -> None:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file) if file else path
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert not broken, f"{path.name}: {broken}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_repository_paths_named_in_the_docs_exist(path: Path) -> None:
    """`workbench/...`, `tests/...`, `bench/...` paths in code spans name files that exist."""
    text = path.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:workbench|tests|bench|scripts|suites)/[\w./-]+)[ `]", text))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"{path.name}: {missing}"
    # a bench command quoted beside a figure takes the options it is quoted with
    for script, args in re.findall(r"`(bench/\w+\.py)((?: [^`]*)?)`", text):
        source = (ROOT / script).read_text(encoding="utf-8")
        unknown = [o for o in re.findall(r"(?<![\w-])--[a-z][\w-]*", args) if f'"{o}"' not in source]
        assert not unknown, f"{path.name}: {script} has no {unknown}"


def test_the_readme_database_table_lists_every_table(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    tables = {name for name in db.table_names() if not name.startswith(("_", "sqlite_"))}
    start = README.index("## Database")
    section = README[start : README.index("\n## ", start + 1)]
    documented = set(re.findall(r"`(\w+)`", section))
    assert tables - documented == set(), f"tables missing from the README's Database section: {tables - documented}"


def test_the_architecture_module_map_names_every_package_and_foundation_module() -> None:
    """docs/architecture.md's module map names each package and each module at the top of workbench/."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("## Module map")
    module_map = text[start : text.index("\n## ", start + 1)]
    package = ROOT / "workbench"
    missing = [
        f"workbench/{d.name}/"
        for d in package.iterdir()
        if (d / "__init__.py").exists() and f"workbench/{d.name}/" not in module_map
    ]
    missing += [f.name for f in package.glob("*.py") if f.name not in ("__main__.py",) and f.name not in module_map]
    assert not missing, f"not in docs/architecture.md's module map: {missing}"


def test_every_environment_variable_workbench_reads_is_documented() -> None:
    """A `"WORKBENCH_..."` string in the library is an environment variable a user can set."""
    docs = "".join(path.read_text(encoding="utf-8") for path in DOCS)
    names = set()
    for source in (ROOT / "workbench").rglob("*.py"):
        names |= set(re.findall(r"[\"'](WORKBENCH_[A-Z_]+)[\"']", source.read_text(encoding="utf-8")))
    assert names, "no environment variable found: the pattern is stale"
    assert sorted(n for n in names if n not in docs) == []


def test_the_bad_input_count_in_the_readme_is_the_corpus_size() -> None:
    cases = yaml.safe_load((ROOT / "tests" / "fixtures" / "bad" / "cases.yaml").read_text(encoding="utf-8"))
    match = re.search(r"\*\*Bad input is one line and changes nothing\*\*: (\d+) malformed", README)
    assert match, "the README's bad-input guarantee no longer states its count"
    assert int(match.group(1)) == len(cases)


def test_every_exit_code_the_cli_uses_is_in_the_readme_table() -> None:
    start = README.index("## Exit codes")
    table = README[start : README.index("\n## ", start + 1)]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    used = {0, 1, EXIT_GATE, EXIT_DISAGREE, EXIT_SIGINT, EXIT_SIGTERM, BatchPending.exit_code}
    used |= {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.WorkbenchError)
    }
    assert used - documented == set(), f"exit codes missing from the README's table: {used - documented}"


def test_every_output_format_is_in_the_readme_and_run_help() -> None:
    start = README.index("## Outputs")
    section = README[start : README.index("\n## ", start + 1)]
    run_help = CliRunner().invoke(cli, ["run", "--help"]).output
    for ext, _ in FORMATS:
        assert f"`{ext}`" in section, f"{ext} is missing from the README's Outputs section"
        assert ext in run_help or ext == ".yml", f"{ext} is missing from `workbench run --help`"


def _same(documented: str, actual: object) -> bool:
    try:
        return float(documented) == float(actual)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return documented == str(actual)


def test_defaults_in_the_cli_reference_are_the_real_defaults() -> None:
    """`--opt N`, default X` in a row of the CLI reference is the option's default in click."""
    ctx = click.Context(cli)
    checked = 0
    for row in _cli_reference().splitlines():
        match = re.match(r"\| `workbench (\w+)", row)
        if not match:
            continue
        command = cli.get_command(ctx, match.group(1))
        assert command is not None
        commands = [command, *(command.commands.values() if isinstance(command, click.Group) else [])]
        params = {name: p for c in commands for p in c.params for name in getattr(p, "opts", [])}
        for spelled, value in re.findall(r"`((?:-\w/)?--[\w-]+)(?: [A-Z]+)?`,? default `?([\w.\-]+)", row):
            param = params[spelled.split("/")[-1]]
            if param.default is None or type(param.default).__name__ == "Sentinel":
                # resolved by the action; its --help states it as `[default: X, ...]`
                assert f"default: {value}" in (getattr(param, "help", None) or ""), spelled
            else:
                assert _same(value, param.default), f"{spelled}: README says default {value}, click has {param.default}"
            checked += 1
    assert checked >= 10, "the defaults pattern no longer matches the reference"
