"""The deployment files only name things the project really has.

No Docker engine runs in CI, so these tests read docker-compose.yml, the Dockerfile, the
Makefile and scripts/run.sh instead of starting them: every program, module, Celery app
and management command they name must exist, every environment variable they set must
be read by config/settings.py, and every long-running service must have a health check.
No database is used.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
DJANGO_BUILTIN_COMMANDS = {"migrate", "collectstatic", "check"}
DEVELOPMENT_BUILTIN_COMMANDS = DJANGO_BUILTIN_COMMANDS | {"runserver"}  # Makefile, run.sh
PYTHONS = {"python", "python3"}
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat", "postgres", "redis")
ONE_SHOT = "migrate"


# --- reading the files -------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def dependency_names() -> set[str]:
    """Distribution names in pyproject.toml's dependencies (and extras), normalised."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {
        re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        for requirement in requirements
    }


def settings_source() -> str:
    assert SETTINGS.is_file(), f"{SETTINGS.relative_to(ROOT)} does not exist"
    return SETTINGS.read_text()


def settings_read(name: str, source: str) -> bool:
    """True when settings.py passes NAME, quoted, as the first argument of env(...),
    env.bool(...), env.str(...), env.list(...), env.db(...), env.email_url(...) etc."""
    pattern = rf"""\benv(?:\.\w+)?\(\s*["']{re.escape(name)}["']"""
    return re.search(pattern, source) is not None


def words_of(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def simple_commands(words: list[str]) -> list[list[str]]:
    """`sh -c "a && b"` is the commands a and b; anything else is itself."""
    if len(words) >= 3 and Path(words[0]).name in {"sh", "bash"} and words[1] == "-c":
        script = " ".join(words[2:])
        return [shlex.split(part) for part in re.split(r"&&|;|\|\|", script) if part.strip()]
    return [words]


def environment_names(service: dict) -> list[str]:
    environment = service.get("environment") or {}
    if isinstance(environment, dict):
        return list(environment)
    return [item.split("=", 1)[0] for item in environment]


# --- what a command may name ----------------------------------------------------------


def module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def management_command_exists(name: str, builtins=DJANGO_BUILTIN_COMMANDS) -> bool:
    if name in builtins:
        return True
    return any(ROOT.glob(f"*/management/commands/{name}.py"))


def problems_with(words: list[str]) -> list[str]:
    """What is wrong with one simple command (an empty list when nothing is)."""
    if not words:
        return ["empty command"]
    program, args = Path(words[0]).name, words[1:]
    dependencies = dependency_names()

    if program in PYTHONS:
        if not args or args[0] != "manage.py":
            return [f"{' '.join(words)!r}: python should run manage.py"]
        if not (ROOT / "manage.py").is_file():
            return ["manage.py does not exist"]
        if len(args) < 2:
            return [f"{' '.join(words)!r}: no management command given"]
        if not management_command_exists(args[1]):
            return [
                f"management command {args[1]!r} is neither a Django built-in "
                f"({', '.join(sorted(DJANGO_BUILTIN_COMMANDS))}) nor a file "
                f"*/management/commands/{args[1]}.py"
            ]
        return []

    if program == "gunicorn":
        problems = [] if "gunicorn" in dependencies else ["gunicorn is not in pyproject.toml"]
        targets = [arg for arg in args if not arg.startswith("-") and ":" in arg]
        if not targets:
            return problems + [f"{' '.join(words)!r}: no module:callable for gunicorn"]
        module, _, callable_name = targets[0].partition(":")
        path = module_file(module)
        if path is None:
            return problems + [f"gunicorn serves {module!r}, but there is no such module"]
        if not re.search(rf"^{re.escape(callable_name)}\s*=", path.read_text(), re.MULTILINE):
            problems.append(f"{path.relative_to(ROOT)} defines no {callable_name!r}")
        return problems

    if program == "celery":
        problems = [] if "celery" in dependencies else ["celery is not in pyproject.toml"]
        app = None
        for i, arg in enumerate(args):
            if arg in {"-A", "--app"} and i + 1 < len(args):
                app = args[i + 1]
            elif arg.startswith("--app="):
                app = arg.split("=", 1)[1]
        if app is None:
            return problems + [f"{' '.join(words)!r}: no Celery app (-A) given"]
        package = app.split(":")[0]
        if not (ROOT.joinpath(*package.split(".")) / "celery.py").is_file():
            where = package.replace(".", "/")
            problems.append(f"celery -A {app}: {where}/celery.py does not exist")
        return problems

    return [f"{' '.join(words)!r}: {program!r} is not gunicorn, celery or python"]


def is_beat(words: list[str]) -> bool:
    """A command that schedules periodic tasks: `celery beat` or a worker with -B."""
    if not words or Path(words[0]).name != "celery":
        return False
    return "beat" in words or "-B" in words or "--beat" in words


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_has_the_services(services):
    missing = set(LONG_RUNNING + APP_SERVICES) - set(services)
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_app_services_share_one_image(services):
    builds = {name: services[name].get("build") for name in APP_SERVICES}
    assert all(builds.values()), f"every app service should be built from the Dockerfile: {builds}"
    assert len({json.dumps(b, sort_keys=True) for b in builds.values()}) == 1, (
        f"the app services should share one build: {builds}"
    )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_command_names_what_the_project_has(services, name):
    command = services[name].get("command")
    assert command, f"service {name} has no command"
    problems = [p for words in simple_commands(words_of(command)) for p in problems_with(words)]
    assert not problems, f"service {name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_an_app_service_sets_is_read_by_the_settings(services, name):
    source = settings_source()
    names = environment_names(services[name])
    assert names, f"service {name} sets no environment"
    unread = [variable for variable in names if not settings_read(variable, source)]
    assert not unread, (
        f"service {name} sets {unread}, which config/settings.py never reads "
        f'(expected env("NAME"...), env.str("NAME"...) or similar)'
    )


def test_production_settings_come_from_the_environment(services):
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert str(environment.get("DEBUG")).lower() == "false", f"{name}: DEBUG is not false"
        assert "${SECRET_KEY:?" in str(environment.get("SECRET_KEY")), (
            f"{name}: SECRET_KEY must come from the environment (${{SECRET_KEY:?...}})"
        )


def test_long_running_services_have_a_health_check(services):
    # One test rather than one per service: tests/conftest.py skips on SQLite any test
    # with "postgres" among its keywords, which a parameter id would be.
    without = [
        name for name in LONG_RUNNING
        if not (services[name].get("healthcheck") or {}).get("test")
        or (services[name].get("healthcheck") or {}).get("disable")
    ]
    assert not without, f"long-running services without a health check: {without}"


def test_every_service_has_a_health_check_or_is_the_one_shot_job(services):
    without = sorted(
        name for name, service in services.items()
        if name != ONE_SHOT and not (service.get("healthcheck") or {}).get("test")
    )
    assert not without, f"services without a health check: {without}"
    assert services[ONE_SHOT].get("restart") in {"no", None}, f"{ONE_SHOT} must not restart"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_starts_after_migrations(services, name):
    depends_on = services[name].get("depends_on") or {}
    if not isinstance(depends_on, dict):  # the short list form carries no condition
        depends_on = {}
    condition = (depends_on.get(ONE_SHOT) or {}).get("condition")
    assert condition == "service_completed_successfully", (
        f"service {name} should wait for {ONE_SHOT} to complete successfully"
    )


def test_postgres_keeps_its_data_in_a_named_volume(compose, services):
    declared = set(compose.get("volumes") or {})
    sources = []
    for volume in services["postgres"].get("volumes") or []:
        if isinstance(volume, str):
            source = volume.split(":", 1)[0]
        else:
            source = volume.get("source") if volume.get("type", "volume") == "volume" else None
        if source and not source.startswith((".", "/", "~")):
            sources.append(source)
    assert sources, "postgres has no named volume, so its data would die with the container"
    undeclared = [s for s in sources if s not in declared]
    assert not undeclared, f"volumes {undeclared} are not declared under top-level volumes:"


def test_exactly_one_beat(services):
    beats = sorted(
        name for name, service in services.items()
        if service.get("command")
        and any(is_beat(words) for words in simple_commands(words_of(service["command"])))
    )
    assert beats == ["beat"], f"exactly one service should run Celery beat, not {beats}"
    replicas = (services["beat"].get("deploy") or {}).get("replicas", 1)
    assert replicas == 1, f"beat has {replicas} replicas: each scheduled task would run {replicas}x"


# --- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_dockerfile_cmd_runs_a_module_the_project_has():
    commands = [args for instruction, args in dockerfile_instructions() if instruction == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    try:
        words = json.loads(commands[-1])
    except json.JSONDecodeError:
        pytest.fail(f"the Dockerfile CMD should use the exec (JSON) form: {commands[-1]}")
    problems = problems_with(words)
    assert not problems, "Dockerfile CMD: " + "; ".join(problems)


def test_dockerfile_runs_as_a_user_and_checks_health():
    instructions = dockerfile_instructions()
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the image should not run as root"
    healthchecks = [args for instruction, args in instructions if instruction == "HEALTHCHECK"]
    assert healthchecks and "/healthz" in healthchecks[-1], "no HEALTHCHECK against /healthz"
    urls = (ROOT / "config" / "urls.py").read_text()
    assert re.search(r"""path\(\s*["']healthz["']""", urls), "config/urls.py has no healthz route"


def test_dockerfile_and_local_scripts_name_existing_management_commands():
    sources = {
        "Dockerfile": (ROOT / "Dockerfile").read_text(),
        "Makefile": (ROOT / "Makefile").read_text(),
        "scripts/run.sh": (ROOT / "scripts" / "run.sh").read_text(),
    }
    missing = [
        f"{where}: {command}"
        for where, text in sources.items()
        for command in re.findall(r"(?:manage\.py|\$\(MANAGE\))\s+([a-z_]+)", text)
        if not management_command_exists(command, DEVELOPMENT_BUILTIN_COMMANDS)
    ]
    assert not missing, f"management commands that do not exist: {missing}"


def test_production_collectstatic_succeeds(tmp_path):
    """The image's build step: collectstatic with DEBUG off (manifest storage, which fails
    on any file a stylesheet references but the project does not ship)."""
    script = (
        "import django\n"
        "from django.core.management import call_command\n"
        "from django.test.utils import override_settings\n"
        "django.setup()\n"
        f"with override_settings(STATIC_ROOT={str(tmp_path / 'static')!r}):\n"
        "    call_command('collectstatic', interactive=False, verbosity=0)\n"
    )
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="collectstatic-test-only",
        ALLOWED_HOSTS="localhost",
    )
    result = subprocess.run(  # noqa: S603 - a fixed script run by this interpreter
        [sys.executable, "-c", script], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, (
        "collectstatic with DEBUG=false (as in the Dockerfile) failed:\n"
        + (result.stderr or result.stdout)[-2000:]
    )
