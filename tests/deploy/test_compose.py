"""docker-compose.yml: valid per the Compose Specification, and consistent with what the code reads.

No Docker engine is needed: the file is interpolated here the way Compose does it (``${VAR:-default}``,
nested defaults, ``$$``), validated with ``jsonschema`` against the vendored Compose Specification
schema, then checked against ``core.settings.Settings``, ``core.queues``, the uvicorn/celery
targets and the Dockerfiles.

``compose-spec.json`` is the Compose Specification's JSON schema (compose-spec/compose-spec,
``schema/compose-spec.json``, Apache-2.0) exactly as the docker-compose 1.29.2 wheel on PyPI ships it
(``compose/config/compose_spec.json``; sha256 below). It is the 2021 revision: keys added to the spec
since then (top-level ``name``, ``include``, healthcheck ``start_interval``, ``develop``...) would be
rejected by it, so docker-compose.yml does without them.
"""

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from core.queues import queue_names
from core.settings import PROJECT_ROOT, Settings
from core.tasks import all_tasks

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
SCHEMA_SHA256 = "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac"
QUEUES = set(queue_names())
# Variables the code reads unprefixed (everything else it reads is PRETEXT_*).
CONVENTIONAL = ("REDIS_URL", "DATABASE_URL", "PORT")
OUR_IMAGES = ("docker/Dockerfile.cpu", "docker/Dockerfile.gpu")
# What an operator sets for the documented split: GPU on colorization, CPU workers on the rest.
GPU_QUEUES = {"colorization", "colorization-large"}
CPU_QUEUES = QUEUES - GPU_QUEUES
SPLIT_ENV = {"GPU_WORKER_QUEUES": ",".join(sorted(GPU_QUEUES)), "CPU_WORKER_QUEUES": ",".join(sorted(CPU_QUEUES))}


# ---- Compose interpolation ---------------------------------------------------------------------

NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
BRACED = re.compile(r"([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-?+])(.*))?", re.S)


class Interpolator:
    """Compose's variable substitution on one string; records every variable name it meets."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.names: set[str] = set()

    def __call__(self, text: str) -> str:
        out, i = [], 0
        while i < len(text):
            if text[i] != "$":
                out.append(text[i])
                i += 1
            elif text.startswith("$$", i):
                out.append("$")
                i += 2
            elif text.startswith("${", i):
                depth, j = 0, i + 1
                while j < len(text):
                    depth += {"{": 1, "}": -1}.get(text[j], 0)
                    if depth == 0:
                        break
                    j += 1
                else:
                    raise ValueError(f"unterminated ${{ in {text!r}")
                out.append(self.braced(text[i + 2:j]))
                i = j + 1
            elif m := NAME.match(text, i + 1):
                self.names.add(m.group())
                out.append(self.env.get(m.group(), ""))
                i = m.end()
            else:
                raise ValueError(f"a lone $ in {text!r} (write $$ for a literal one)")
        return "".join(out)

    def braced(self, body: str) -> str:
        m = BRACED.fullmatch(body)
        if m is None:
            raise ValueError(f"invalid substitution ${{{body}}}")
        name, op, rest = m.groups()
        self.names.add(name)
        value = self.env.get(name)
        present = value is not None and (value != "" or not (op or "").startswith(":"))
        if op is None:
            return value or ""
        if op in ("-", ":-"):
            return value if present else self(rest)
        if op in ("+", ":+"):
            return self(rest) if present else ""
        if not present:  # "?" and ":?"
            raise ValueError(f"required variable {name} is missing: {rest}")
        return value

    def walk(self, node: Any) -> Any:
        """Interpolate every string value (not the keys) of a loaded YAML tree."""
        if isinstance(node, dict):
            return {k: self.walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v) for v in node]
        return self(node) if isinstance(node, str) else node


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())  # safe_load resolves the <<: merge keys


def load_compose(env: dict[str, str] | None = None) -> tuple[dict[str, Any], set[str]]:
    """The file as Compose sees it with ``env`` as the shell's environment, and the variables it uses."""
    interp = Interpolator(env or {})
    return interp.walk(raw_compose()), interp.names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()[0]


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


# ---- helpers ------------------------------------------------------------------------------------------


def settings_env_names() -> set[str]:
    """Every environment variable name Settings reads (upper case; pydantic-settings ignores case)."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"{prefix}{field_name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.update(str(choice).upper() for choice in alias.choices)
    return names


def our_services(services: dict[str, Any]) -> dict[str, Any]:
    """Services built from this repository's Dockerfiles (redis and postgres are stock images)."""
    return {name: s for name, s in services.items() if s.get("build", {}).get("dockerfile") in OUR_IMAGES}


def workers(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if argv(s)[:1] == ["celery"] and "worker" in argv(s)}


def argv(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def option(args: list[str], *names: str) -> str:
    """The value of the first of ``names`` in ``args`` (``--opt value`` or ``--opt=value``)."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name:
                return args[i + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {args}")


def queues_of(service: dict[str, Any]) -> set[str]:
    """The queues a worker consumes: PRETEXT_WORKER_QUEUES (worker.celery_app), empty meaning every queue."""
    args = argv(service)
    assert "-Q" not in args and not any(a.startswith("--queues") for a in args), "queues are set by the variable"
    chosen = str((service.get("environment") or {}).get("PRETEXT_WORKER_QUEUES") or "")
    return {q for q in chosen.split(",") if q} or set(QUEUES)


def healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return shlex.split(test)
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    assert test[0] == "CMD", test
    return list(test[1:])


def container_port(mapping: str | dict[str, Any]) -> int:
    if isinstance(mapping, dict):
        return int(mapping["target"])
    return int(str(mapping).rsplit(":", 1)[-1].split("/")[0])


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: None if v is None else str(v) for k, v in env.items()}


def enabled(services: dict[str, Any], profiles: set[str], scaled_to_zero: set[str] = frozenset()) -> dict[str, Any]:
    """The services ``docker compose [--profile P...] up [--scale S=0...]`` starts."""
    return {name: s for name, s in services.items()
            if (not s.get("profiles") or set(s["profiles"]) & profiles) and name not in scaled_to_zero}


# ---- the schema -------------------------------------------------------------------------------------


def compose_format_checker() -> jsonschema.FormatChecker:
    """Formats the spec uses: only "duration", in Compose's (Go's) syntax, e.g. 10s, 1m30s."""
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("duration")
    def is_duration(value: object) -> bool:
        return not isinstance(value, str) or re.fullmatch(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", value) is not None

    return checker


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text())
    # Its "$schema" is http://json-schema.org/draft/2019-09/schema#, which jsonschema does not map to
    # a validator by itself (the draft's id is https://...), so name the draft.
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(schema, format_checker=compose_format_checker())
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))]


def test_vendored_schema_is_the_unchanged_compose_spec() -> None:
    import hashlib

    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["title"] == "Compose Specification"
    assert "2019-09" in schema["$schema"]


@pytest.mark.parametrize("env", [{}, SPLIT_ENV, {
    "REDIS_URL": "redis://10.0.0.5:6379/0", "DATABASE_URL": "postgresql://pretext:s3cret@10.0.0.5:5432/pretext",
    "POSTGRES_PASSWORD": "s3cret", "API_PORT": "9000", "REDIS_BIND": "10.0.0.5", "GPU_WORKER_CONCURRENCY": "2",
    "PRETEXT_MAX_IMAGE_PIXELS": "50000000",
}], ids=["defaults", "split-queues", "scale-out"])
def test_compose_file_is_valid_per_the_compose_spec(env: dict[str, str]) -> None:
    document, _ = load_compose(env)
    assert schema_errors(document) == []


def test_schema_check_catches_mistakes() -> None:
    """The validation has teeth: a misspelt key, a bad duration and a bad type are all reported."""
    document, _ = load_compose()
    api = document["services"]["api"]
    api["helthcheck"] = api.pop("healthcheck")
    document["services"]["redis"]["healthcheck"]["interval"] = "ten seconds"
    document["services"]["worker-cpu"]["profiles"] = "cpu"
    errors = "\n".join(schema_errors(document))
    assert "helthcheck" in errors
    assert "ten seconds" in errors
    assert "services/worker-cpu/profiles" in errors


def test_interpolation_follows_compose() -> None:
    interp = Interpolator({"SET": "x", "EMPTY": ""})
    assert interp("a${SET}b$SET-$$SET") == "axbx-$SET"
    assert interp("${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}") == "d|d||d"
    assert interp("${UNSET:-a${SET:-y}b}|${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}") == "axb|alt||alt"
    with pytest.raises(ValueError, match="required"):
        interp("${UNSET:?set it}")
    with pytest.raises(ValueError, match="lone"):
        interp("cost: 5$")
    assert interp.names == {"SET", "EMPTY", "UNSET"}


# ---- the services -----------------------------------------------------------------------------------


def test_the_services(services: dict[str, Any], compose: dict[str, Any]) -> None:
    assert set(services) == {"redis", "postgres", "api", "worker-gpu", "worker-cpu"}
    assert set(our_services(services)) == {"api", "worker-gpu", "worker-cpu"}
    for name, service in our_services(services).items():
        assert (PROJECT_ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
    assert services["worker-gpu"]["build"]["dockerfile"] == "docker/Dockerfile.gpu"
    assert services["worker-cpu"]["build"]["dockerfile"] == "docker/Dockerfile.cpu"
    # Named volumes for the state; every named volume a service mounts is declared.
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
    assert any(str(v).endswith(":/data") for v in services["redis"]["volumes"])
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), f"{name} has no healthcheck"
        assert healthcheck_argv(service), name
    assert healthcheck_argv(services["redis"]) == ["redis-cli", "ping"]
    assert healthcheck_argv(services["postgres"])[0] == "pg_isready"
    # depends_on waits for health, so every such dependency must have a healthcheck (checked above).
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec["condition"] == "service_healthy", f"{name} -> {dep}"


def test_environment_names_are_settings_fields(services: dict[str, Any]) -> None:
    known = settings_env_names()
    assert {"REDIS_URL", "DATABASE_URL", "PRETEXT_DEVICE", "PRETEXT_MODELS_DIR"} <= known  # sanity of the helper
    for name, service in our_services(services).items():
        env = environment(service)
        assert env, f"{name} has no environment"
        unknown = sorted(k for k in env if k.upper() not in known)
        assert not unknown, f"{name}: {unknown} are not read by core.settings.Settings"
        assert "REDIS_URL" in env, name


def test_compose_variables_named_like_settings_are_settings() -> None:
    """A ${PRETEXT_...} (or REDIS_URL/DATABASE_URL) variable in the file must be a Settings name too."""
    _, names = load_compose()
    known = settings_env_names()
    suspicious = sorted(n for n in names if (n.startswith("PRETEXT_") or n in CONVENTIONAL) and n not in known)
    assert not suspicious


@pytest.mark.parametrize("name", ["api", "worker-gpu", "worker-cpu"])
def test_environment_validates_as_settings(name: str, services: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The container's environment parses into Settings (types, literals), with the values meant."""
    for key in list(os.environ):
        if key.upper().startswith("PRETEXT_") or key.upper() in CONVENTIONAL:
            monkeypatch.delenv(key)
    env = {k: v for k, v in environment(services[name]).items() if v is not None}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.redis_url == "redis://redis:6379/0"
    assert Path(settings.models_dir) == Path("/app/models/weights")
    if name == "api":
        assert settings.database_url == "postgresql://pretext:pretext@postgres:5432/pretext"
    else:
        assert settings.device == ("cuda" if name == "worker-gpu" else "cpu")


def test_pass_through_variables_reach_the_containers() -> None:
    """Settings left unset in the file take the operator's shell value when set there."""
    compose, _ = load_compose({"PRETEXT_MAX_IMAGE_PIXELS": "1000"})
    for name, service in our_services(compose["services"]).items():
        assert "PRETEXT_MAX_IMAGE_PIXELS" in environment(service), name


# ---- commands: targets, queues, ports ---------------------------------------------------------------


def test_api_command_is_the_uvicorn_factory(services: dict[str, Any]) -> None:
    args = argv(services["api"])
    assert args[0] == "uvicorn"
    module, attr = args[1].split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    assert "--factory" in args  # create_app is a factory, as pretext/serve.py starts it
    assert option(args, "--host") == "0.0.0.0"


def test_api_ports_are_consistent(services: dict[str, Any]) -> None:
    api = services["api"]
    port = int(option(argv(api), "--port"))
    assert [container_port(p) for p in api["ports"]] == [port]
    assert f"127.0.0.1:{port}/healthz" in " ".join(healthcheck_argv(api))
    env = environment(api)
    assert env["PORT"] == str(port) and env["PRETEXT_HOST"] == option(argv(api), "--host")


def test_service_urls_match_the_servers(services: dict[str, Any]) -> None:
    from urllib.parse import urlsplit

    redis_port = int(option(argv(services["redis"]), "--port")) if "--port" in argv(services["redis"]) else 6379
    assert [container_port(p) for p in services["redis"]["ports"]] == [redis_port]
    for name, service in our_services(services).items():
        url = urlsplit(environment(service)["REDIS_URL"])
        assert (url.scheme, url.hostname, url.port or 6379) == ("redis", "redis", redis_port), name
    db = urlsplit(environment(services["api"])["DATABASE_URL"])
    pg = environment(services["postgres"])
    assert [container_port(p) for p in services["postgres"]["ports"]] == [5432]
    assert (db.scheme, db.hostname, db.port) == ("postgresql", "postgres", 5432)
    assert (db.username, db.password, db.path.lstrip("/")) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"],
                                                              pg["POSTGRES_DB"])
    assert "postgres" in services["api"]["depends_on"] and "redis" in services["api"]["depends_on"]


def test_published_state_ports_default_to_loopback(services: dict[str, Any]) -> None:
    for name in ("redis", "postgres"):
        assert all(str(p).startswith("127.0.0.1:") for p in services[name]["ports"]), name


def test_worker_app_and_tasks_are_importable(services: dict[str, Any]) -> None:
    """The -A target of every worker (and of its healthcheck) is a Celery app with every queue's task."""
    apps = {option(argv(s), "-A", "--app") for s in workers(services).values()}
    apps |= {option(healthcheck_argv(s), "-A", "--app") for s in workers(services).values()}
    assert apps == {"worker.celery_app"}
    code = ("import json, sys, celery, worker.celery_app as m; assert isinstance(m.app, celery.Celery); "
            "m.app.loader.import_default_modules(); print(json.dumps(sorted(m.app.tasks)))")
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:9/0"}  # never contacted: importing only
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    tasks = set(json.loads(out.splitlines()[-1]))
    assert {spec.task_name for spec in all_tasks()} <= tasks


def test_worker_queues_exist_and_are_configurable(services: dict[str, Any]) -> None:
    raw = raw_compose()["services"]
    for name, service in workers(services).items():
        assert queues_of(service) <= QUEUES, f"{name} consumes unknown queues {queues_of(service) - QUEUES}"
        raw_queues = raw[name]["environment"]["PRETEXT_WORKER_QUEUES"]
        assert re.fullmatch(r"\$\{[A-Z_]+_QUEUES:-\}", raw_queues), f"{name}: queues not set by a variable"
    assert set(workers(services)) == {"worker-gpu", "worker-cpu"}
    assert queues_of(services["worker-gpu"]) == QUEUES  # by default every worker consumes every queue
    split, _ = load_compose(SPLIT_ENV)
    assert queues_of(split["services"]["worker-gpu"]) == GPU_QUEUES
    assert queues_of(split["services"]["worker-cpu"]) == CPU_QUEUES


@pytest.mark.parametrize(("env", "profiles", "scaled_to_zero"), [
    ({}, set(), set()),  # docker compose up (GPU host)
    ({}, {"cpu"}, {"worker-gpu"}),  # docker compose --profile cpu up --scale worker-gpu=0 (no GPU)
    ({}, {"cpu"}, set()),  # docker compose --profile cpu up
    (SPLIT_ENV, {"cpu"}, set()),  # the split: GPU on colorize, CPU on the rest
], ids=["gpu-host", "cpu-host", "both", "split"])
def test_every_queue_has_a_consumer(env: dict[str, str], profiles: set[str], scaled_to_zero: set[str]) -> None:
    services = load_compose(env)[0]["services"]
    running = enabled(services, profiles, scaled_to_zero)
    assert {"redis", "postgres", "api"} <= set(running)
    consumed = set().union(*(queues_of(s) for s in workers(running).values()))
    assert consumed == QUEUES


def test_worker_names_and_healthchecks_agree(services: dict[str, Any]) -> None:
    names = set()
    for name, service in workers(services).items():
        node = option(argv(service), "-n", "--hostname")
        assert node.endswith("@%h"), f"{name}: node name must be unique per container: {node}"
        names.add(node.split("@")[0])
        check = healthcheck_argv(service)
        assert check[:1] == ["celery"] and "inspect" in check and "ping" in check, name
        assert option(check, "-d", "--destination") == node.replace("%h", "$HOSTNAME"), name
        assert service["healthcheck"]["test"][0] == "CMD-SHELL", f"{name}: $HOSTNAME needs a shell"
    assert len(names) == len(workers(services))


# ---- GPU and CPU workers ----------------------------------------------------------------------------


def test_gpu_worker_reserves_an_nvidia_gpu(services: dict[str, Any]) -> None:
    gpu = services["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    assert not gpu.get("profiles")  # `docker compose up` starts it
    assert environment(gpu)["PRETEXT_DEVICE"] == "cuda"


def test_cpu_worker_is_under_the_cpu_profile(services: dict[str, Any]) -> None:
    cpu = services["worker-cpu"]
    assert cpu.get("profiles") == ["cpu"]
    assert "deploy" not in cpu or "devices" not in str(cpu["deploy"])
    assert environment(cpu)["PRETEXT_DEVICE"] == "cpu"
    assert not services["api"].get("profiles")


# ---- images -------------------------------------------------------------------------------------------


def dockerfile_args(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^ARG (\w+)=(\S+)", path.read_text(), re.M))


def test_gpu_image_matches_the_installed_onnxruntime_gpu() -> None:
    """CUDA major and cuDNN of the base image are the ones the installed onnxruntime-gpu was built for."""
    from importlib.metadata import requires, version

    info = pytest.importorskip("onnxruntime.capi.build_and_package_info")
    if getattr(info, "package_name", "") != "onnxruntime-gpu":
        pytest.skip("onnxruntime-gpu is not the installed onnxruntime")
    args = dockerfile_args(PROJECT_ROOT / "docker" / "Dockerfile.gpu")
    image = re.fullmatch(r"nvidia/cuda:(\d+)\.(\d+)\.\d+-cudnn(\d*)-runtime-ubuntu[\d.]+", args["CUDA_IMAGE"])
    assert image, args["CUDA_IMAGE"]
    assert image.group(1) == info.cuda_version.split(".")[0]
    cudnn = [r for r in requires("onnxruntime-gpu") or [] if r.startswith("nvidia-cudnn")]
    assert cudnn, "onnxruntime-gpu declares no cuDNN"
    assert f"-cu{image.group(1)}" in cudnn[0] and "~=9" in cudnn[0]  # the image's cuDNN is 9.x
    # The images pin the onnxruntime release the tests ran with; when the venv moves to another one,
    # move ONNXRUNTIME_VERSION in both Dockerfiles (and CUDA_IMAGE if its CUDA major changed).
    tested = version("onnxruntime-gpu")
    for image_file in ("Dockerfile.gpu", "Dockerfile.cpu"):
        pinned = dockerfile_args(PROJECT_ROOT / "docker" / image_file)["ONNXRUNTIME_VERSION"]
        assert pinned == tested, f"docker/{image_file} pins onnxruntime {pinned}, the tests run {tested}"


def test_image_requirements() -> None:
    import runpy

    mod = runpy.run_path(str(PROJECT_ROOT / "docker" / "requirements.py"))
    pyproject = PROJECT_ROOT / "pyproject.toml"
    cpu, gpu = (mod["requirements"](v, pyproject) for v in ("cpu", "gpu"))
    names = {v: {mod["dist_name"](r) for r in reqs} for v, reqs in (("cpu", cpu), ("gpu", gpu))}
    assert "onnxruntime" in names["cpu"] and "onnxruntime-gpu" not in names["cpu"]
    assert "onnxruntime-gpu" in names["gpu"] and "onnxruntime" not in names["gpu"]
    for reqs in names.values():
        assert reqs & {"psycopg", "psycopg-binary"}, "the images need a PostgreSQL driver"
        assert {"celery", "uvicorn", "fastapi", "redis"} <= reqs
        assert "torch" not in reqs


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    ignored = {line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "var", "runs", ".git"} <= ignored
    for needed in ("models", "models/weights", "frontend", "app", "worker", "docker", "docker/requirements.py",
                   "pyproject.toml", "*.onnx"):
        assert needed not in ignored, needed
