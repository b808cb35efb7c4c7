"""The Dagster UI in a real browser, as a person on the data team sees it.

A real ``dagster-webserver`` and ``dagster-daemon`` serve this project on a temporary HUB_HOME
(the single-user instance config ``hub demo`` writes), with the Airtable, HubSpot and Salesforce
emulators serving 60 synthetic companies from this test process. Headless Chromium (Debian's
``chromium`` + ``chromium-driver``, driven by Selenium) then:

- opens the Lineage page: the asset graph shows the five layers, in data-flow order;
- launches ``nightly_sync`` by clicking Jobs → nightly_sync → Materialize all, and the run
  reaches SUCCESS (GraphQL is polled for the status);
- opens ``analytics/customers``: its row count is the warehouse's, its checks passed, its preview
  lists real customer ids;
- opens Automation: every sensor (and the schedule) is running, no tick failed.

Each step saves a PNG under ``artifacts/screenshots/`` (a ``-FAILED`` one when a step fails).
Without /usr/bin/chromium the test skips, unless CI is set: then it fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "artifacts" / "screenshots"
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

LOCATION = "customer_hub"
REPOSITORY = "__repository__"
LAYERS = ["raw", "staging", "analytics"]  # data-flow order, left to right
COMPANIES, SEED = 60, 7

SERVER_START_TIMEOUT = 120  # webserver answering, code location loaded, daemon healthy
PAGE_TIMEOUT = 45  # one page showing what a step looks for
# nightly_sync from click to SUCCESS: about a minute on an idle 2-core machine, nearly five when
# other work shares it (29 steps, one process each).
RUN_TIMEOUT = 420

pytestmark = pytest.mark.ui


# -- prerequisites ----------------------------------------------------------------------------------


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    if missing:
        reason = (f"the UI browser test needs {', '.join(missing)}: "
                  "apt-get install -y chromium chromium-driver")
        if _ci():
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)


# -- the running hub: emulators, webserver, daemon ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningHub:
    url: str
    home: Path
    warehouse_url: str
    log_dir: Path
    processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        # Own process group: teardown kills the code servers and run workers it spawns too.
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes.append((name, proc, log))

    def stop(self) -> None:
        for _name, proc, _log in self.processes:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc, log in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)  # whatever of the group is left
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            log.close()

    def logs(self, lines: int = 25) -> str:
        out = []
        for name, proc, _log in self.processes:
            text = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
            state = "running" if proc.poll() is None else f"exited {proc.returncode}"
            out.append(f"--- {name} ({state}), last {lines} lines:\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def dead(self) -> str | None:
        for name, proc, _log in self.processes:
            if proc.poll() is not None:
                return f"{name} exited with {proc.returncode}"
        return None

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                                 timeout=30)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        return body["data"]


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _wait_for(what: str, probe: Callable[[], Any], timeout: float, hub: RunningHub | None = None,
              interval: float = 1.0) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except (requests.RequestException, AssertionError):
            value = None
        if value:
            return value
        dead = hub.dead() if hub else None
        if dead or time.monotonic() > deadline:
            why = dead or f"timed out after {timeout:.0f} s"
            pytest.fail(f"{why} waiting for {what}\n{hub.logs() if hub else ''}")
        time.sleep(interval)


WORKSPACE_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
DAEMONS_QUERY = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"


def _location_loaded(hub: RunningHub) -> bool:
    entries = hub.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    for entry in entries:
        error = entry["locationOrLoadError"] or {}
        if error.get("__typename") == "PythonError":
            pytest.fail(f"code location {entry['name']} failed to load: {error['message']}")
    return any(e["name"] == LOCATION and e["loadStatus"] == "LOADED"
               and (e["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"
               for e in entries)


def _daemons_healthy(hub: RunningHub) -> bool:
    statuses = hub.graphql(DAEMONS_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
    wanted = {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"}
    healthy = {s["daemonType"] for s in statuses if s["healthy"]}
    return wanted <= healthy


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    _require_browser()  # before starting anything
    from hub import synth
    from hub.config import settings
    from hub.emulators import start_emulators
    from hub.instance import write_config

    home = tmp_path_factory.mktemp("ui-hub")
    # The children see only this hub's variables: none of the caller's HUB_/DAGSTER_/source ones.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUB_", "DAGSTER_", "AIRTABLE_", "HUBSPOT_", "SALESFORCE_"))}
    env.update(HUB_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), PYTHONUNBUFFERED="1")
    s = settings(env)
    # The instance config `hub demo` writes for one person (run monitoring, queue, source pools).
    write_config(s.dagster_home, "single-user")
    config_file = s.dagster_home / "dagster.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    if config.get("telemetry") != {"enabled": False}:
        config["telemetry"] = {"enabled": False}
        config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    # No usage-log files: on this small machine every extra sensor-launched run slows the one
    # under test; usage ingestion has its own tests.
    # Create Dagster's SQLite storage before the webserver and the daemon start: both at once on a
    # fresh DAGSTER_HOME race to create it, and schedules.db can end up with two alembic heads
    # (every later load then fails). `hub demo --ui` has run nightly_sync first, so its home has it.
    import dagster as dg

    with dg.DagsterInstance.from_config(str(s.dagster_home)) as instance:
        assert instance.run_storage and instance.event_log_storage and instance.schedule_storage

    data = synth.generate(COMPANIES, SEED)
    s.usage_log_dir.mkdir(parents=True, exist_ok=True)
    emulators = start_emulators(data, rate_limits=False)
    env.update(emulators.env())

    port = _free_port()
    running = RunningHub(url=f"http://127.0.0.1:{port}", home=home, warehouse_url=s.warehouse_url,
                         log_dir=home)
    try:
        running.start("webserver", [str(BIN / "dagster-webserver"), "-w", "workspace.yaml",
                                    "-h", "127.0.0.1", "-p", str(port)], env)
        running.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], env)
        _wait_for("GET /server_info", lambda: requests.get(f"{running.url}/server_info", timeout=5).ok,
                  SERVER_START_TIMEOUT, running)
        _wait_for(f"code location {LOCATION} to load", lambda: _location_loaded(running),
                  SERVER_START_TIMEOUT, running)
        _wait_for("the daemon's sensor, scheduler and run-queue heartbeats",
                  lambda: _daemons_healthy(running), SERVER_START_TIMEOUT, running)
        yield running
    finally:
        running.stop()
        emulators.stop()


# -- the browser --------------------------------------------------------------------------------------


class Browser:
    """Headless Chromium on the hub's UI, with bounded waits and screenshots per step."""

    def __init__(self, driver: Any, hub: RunningHub) -> None:
        self.driver = driver
        self.hub = hub

    def open(self, path: str) -> None:
        self.driver.get(self.hub.url + path)
        self.dismiss_welcome()

    def click_nav(self, label: str) -> None:
        """Click an entry of the left navigation (Overview, Runs, Jobs, Automation, Lineage…)."""
        from selenium.webdriver.common.by import By

        link = self.wait(f"the navigation entry {label!r}", lambda d: next(
            (a for a in d.find_elements(By.XPATH, f"//a[normalize-space()='{label}']") if a.is_displayed()),
            None))
        self.click(link, f"the navigation entry {label!r}")
        self.dismiss_welcome()

    def click(self, element: Any, what: str, timeout: float = 15.0) -> None:
        """Click as a person does: when the welcome dialog comes up over the page (it shows once,
        after a delay), click Skip and then the element."""
        from selenium.common.exceptions import ElementClickInterceptedException

        deadline = time.monotonic() + timeout
        while True:
            try:
                element.click()
                return
            except ElementClickInterceptedException:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{what} stayed covered for {timeout:.0f} s") from None
                self.dismiss_welcome()
                time.sleep(0.3)

    def dismiss_welcome(self) -> None:
        """The first page shows "Join the Dagster community" over everything; a person clicks Skip."""
        from selenium.webdriver.common.by import By

        for button in self.driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
            with contextlib.suppress(Exception):
                button.click()

    def wait(self, what: str, condition: Callable[[Any], Any], timeout: float = PAGE_TIMEOUT) -> Any:
        """Wait for ``condition(driver)`` to be truthy, clicking away the welcome dialog meanwhile."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition(self.driver)
            except (StaleElementReferenceException, WebDriverException):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"the page at {self.driver.current_url} did not show {what} within "
                                     f"{timeout:.0f} s; it shows:\n{self.text()[:1500]}")
            self.dismiss_welcome()
            time.sleep(0.5)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        with contextlib.suppress(Exception):
            return self.driver.find_element(By.TAG_NAME, "body").text
        return ""

    def screenshot(self, name: str) -> Path:
        time.sleep(0.5)  # let transitions settle
        self.dismiss_welcome()
        path = SCREENSHOTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"could not save {path}"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, \
            f"{path} is not a real screenshot"
        return path

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """A step of the test; when it fails, the page as it was goes to ``<name>-FAILED.png``."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.driver.save_screenshot(str(SCREENSHOTS / f"{name}-FAILED.png"))
            raise


@pytest.fixture(scope="module")
def ui(hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # what the folder shows is this run's
        old.unlink()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1600,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    service = Service(str(CHROMEDRIVER), log_output=str(hub.log_dir / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(60)
        yield Browser(driver, hub)
    finally:
        driver.quit()


# -- GraphQL cross-checks -----------------------------------------------------------------------------

RUNS_QUERY = """query Runs($job: String!) { runsOrError(filter: {pipelineName: $job}, limit: 50) {
    ... on Runs { results { runId status } } } }"""
RUN_QUERY = """query Run($runId: ID!) { runOrError(runId: $runId) { __typename
    ... on Run { runId jobName status startTime endTime } } }"""
RUN_FAILURES_QUERY = """query Failures($runId: ID!) { logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection { events { __typename
        ... on ExecutionStepFailureEvent { stepKey error { message } }
        ... on RunFailureEvent { message } } } } }"""
ASSET_QUERY = """query Asset($path: [String!]!) { assetNodes(assetKeys: [{path: $path}]) {
    groupName assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""
GROUPS_QUERY = "{ assetNodes { groupName } }"
AUTOMATION_QUERY = """query Automation($location: String!, $repository: String!) {
  repositoryOrError(repositorySelector: {repositoryLocationName: $location, repositoryName: $repository}) {
    ... on Repository { sensors { name sensorState { status } } schedules { name scheduleState { status } } } } }"""
TICKS_QUERY = """query Ticks($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 1000) { status timestamp error { message causes { message } } } } } } }"""

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _error_line(error: dict[str, Any] | None) -> str:
    """The innermost cause of a Python error, in one line."""
    if not error:
        return "no error recorded"
    message = (error.get("causes") or [error])[-1]["message"].strip()
    return message.splitlines()[-1] if message else "empty message"


def _run_failures(hub: RunningHub, run_id: str) -> str:
    events = hub.graphql(RUN_FAILURES_QUERY, runId=run_id)["logsForRun"].get("events", [])
    lines = [f"{e['stepKey']}: {e['error']['message'].strip()}" for e in events
             if e["__typename"] == "ExecutionStepFailureEvent"]
    lines += [e["message"] for e in events if e["__typename"] == "RunFailureEvent"]
    return "\n".join(lines) or "(no failure events)"


@pytest.fixture(scope="module")
def nightly_run(hub: RunningHub, ui: Browser) -> dict[str, Any]:
    """nightly_sync launched by clicking Jobs → nightly_sync → Materialize all; waits for its end."""
    from selenium.webdriver.common.by import By

    before = {r["runId"] for r in hub.graphql(RUNS_QUERY, job="nightly_sync")["runsOrError"]["results"]}
    with ui.step("02-nightly-sync-job"):
        ui.open("/")
        ui.click_nav("Jobs")
        job_link = ui.wait("nightly_sync in the job list", lambda d: next(
            (a for a in d.find_elements(By.XPATH, "//a[normalize-space()='nightly_sync']") if a.is_displayed()),
            None))
        ui.click(job_link, "nightly_sync in the job list")
        button = ui.wait("the 'Materialize all' button", lambda d: next(
            (b for b in d.find_elements(By.XPATH, "//button[normalize-space()='Materialize all']")
             if b.is_displayed() and b.is_enabled()), None))
        ui.wait("the job's asset graph", lambda d: all(
            any(e.text.split("\n")[0] == layer for e in d.find_elements(By.XPATH, "//*[local-name()='foreignObject']"))
            for layer in ("raw", "staging")))  # the side panel hides the rightmost layer at this width
        ui.screenshot("02-nightly-sync-job")
    with ui.step("03-nightly-sync-launched"):
        ui.dismiss_welcome()
        ui.click(button, "the 'Materialize all' button")
        toast = ui.wait("the 'Launched run …' notice", lambda d: re.search(r"Launched run ([0-9a-f]{8})", ui.text()),
                        timeout=60)
        ui.screenshot("03-nightly-sync-launched")
        prefix = toast.group(1)
        runs = hub.graphql(RUNS_QUERY, job="nightly_sync")["runsOrError"]["results"]
        new = [r["runId"] for r in runs if r["runId"] not in before]
        assert len(new) == 1 and new[0].startswith(prefix), \
            f"the UI said it launched run {prefix}, but the new nightly_sync runs are {new}"
        run_id = new[0]
        try:  # the notice fades after a few seconds: follow its View button while it is there
            view = ui.wait("the notice's View button", lambda d: next(
                (b for b in d.find_elements(By.XPATH, "//button[normalize-space()='View'] | //a[normalize-space()='View']")
                 if b.is_displayed()), None), timeout=10)
            view.click()
            ui.wait("the run's page", lambda d: run_id in d.current_url, timeout=20)
        except AssertionError:
            ui.open(f"/runs/{run_id}")

    started = time.monotonic()
    run: dict[str, Any] = {}
    while time.monotonic() - started < RUN_TIMEOUT:
        run = hub.graphql(RUN_QUERY, runId=run_id)["runOrError"]
        if run.get("status") in TERMINAL or hub.dead():
            break
        time.sleep(2)
    run["waited_seconds"] = round(time.monotonic() - started, 1)
    print(f"nightly_sync {run_id} from the UI: {run.get('status')} after {run['waited_seconds']} s")
    if run.get("status") not in TERMINAL:
        ui.driver.save_screenshot(str(SCREENSHOTS / "04-nightly-sync-run-FAILED.png"))
        pytest.fail(f"nightly_sync run {run_id} launched from the UI is still {run.get('status')} after "
                    f"{RUN_TIMEOUT} s (QUEUED: the daemon's run queue did not start it; STARTED: a step "
                    f"hangs)\n{hub.logs()}")
    return run


# -- the tests ----------------------------------------------------------------------------------------


def test_asset_graph_shows_the_layers(hub: RunningHub, ui: Browser) -> None:
    from selenium.webdriver.common.by import By

    groups = {node["groupName"] for node in hub.graphql(GROUPS_QUERY)["assetNodes"]}
    assert groups == set(LAYERS), f"the project's asset groups are {sorted(groups)}, not the layers {LAYERS}"

    def layer_nodes(driver: Any) -> dict[str, float] | None:
        nodes = {}
        for node in driver.find_elements(By.XPATH, "//*[local-name()='foreignObject'][contains(@class, 'group')]"):
            name = node.text.split("\n")[0].strip()
            if name in LAYERS and node.is_displayed():
                nodes[name] = float(node.get_attribute("x"))
        return nodes if set(nodes) == set(LAYERS) else None

    with ui.step("01-asset-graph"):
        ui.open("/")
        ui.click_nav("Lineage")
        ui.wait("the page title 'Global asset lineage'", lambda d: "Global asset lineage" in ui.text())
        positions = ui.wait(f"the layers {LAYERS} as nodes of the asset graph", layer_nodes)
        ui.screenshot("01-asset-graph")
    drawn = sorted(positions, key=positions.get)
    assert drawn == LAYERS, f"the graph draws the layers left to right as {drawn}, expected {LAYERS}"


def test_launch_nightly_sync_from_the_ui(hub: RunningHub, ui: Browser, nightly_run: dict[str, Any]) -> None:
    run_id = nightly_run["runId"]
    with ui.step("04-nightly-sync-run"):
        ui.open(f"/runs/{run_id}")
        status_word = {"SUCCESS": "Success", "FAILURE": "Failure", "CANCELED": "Canceled"}[nightly_run["status"]]
        ui.wait(f"the run's status {status_word!r}", lambda d: status_word in ui.text())
        ui.screenshot("04-nightly-sync-run")
    assert nightly_run["status"] == "SUCCESS", (
        f"nightly_sync run {run_id} launched from the UI ended {nightly_run['status']}:\n"
        f"{_run_failures(hub, run_id)}")
    assert nightly_run["jobName"] == "nightly_sync"


def test_unified_customers_page(hub: RunningHub, ui: Browser, nightly_run: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    from hub.warehouse import Warehouse

    assert nightly_run["status"] == "SUCCESS", "nightly_sync did not succeed: nothing to show (see the launch test)"
    node = hub.graphql(ASSET_QUERY, path=["analytics", "customers"])["assetNodes"][0]
    checks = sorted(c["name"] for c in node["assetChecksOrError"]["checks"])
    assert checks, "analytics/customers declares no asset checks"
    warehouse = Warehouse(hub.warehouse_url)
    try:
        rows = warehouse.count("analytics", "customers")
        customer_ids = set(warehouse.read("analytics", "customers", ["customer_id"])["customer_id"])
    finally:
        warehouse.engine.dispose()
    assert rows > 0

    with ui.step("05-unified-customers"):
        ui.open("/assets/analytics/customers")
        shown = ui.wait("the 'Row count' of the latest materialization",
                        lambda d: re.search(r"Row count\s+([\d,]+)", ui.text()))
        ui.wait("the latest check results", lambda d: re.search(r"Latest check results\s+\d+", ui.text()))
        ui.screenshot("05-unified-customers")
    assert int(shown.group(1).replace(",", "")) == rows, \
        f"the page shows row count {shown.group(1)}, the warehouse holds {rows} customers"

    with ui.step("06-unified-customers-preview"):
        preview = ui.wait("the 'preview' metadata row", lambda d: next(
            (tr for tr in d.find_elements(By.XPATH, "//tr[td[normalize-space()='preview']]") if tr.is_displayed()),
            None))
        ui.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", preview)
        ui.wait("the preview's table", lambda d: "customer_id" in preview.text)
        ui.screenshot("06-unified-customers-preview")
    previewed = set(re.findall(r"cus_[0-9a-f]+", preview.text))
    assert previewed and previewed <= customer_ids, \
        f"the preview shows customer ids {sorted(previewed)}, not rows of analytics.customers"

    with ui.step("07-unified-customers-checks"):
        tab = ui.wait("the Checks tab", lambda d: next(
            (a for a in d.find_elements(By.XPATH, "//a[starts-with(normalize-space(), 'Checks')]") if a.is_displayed()),
            None))
        tab.click()
        ui.wait(f"the checks {checks}", lambda d: re.search(rf"Checks \({len(checks)}\)", ui.text())
                and all(name in ui.text() for name in checks))
        ui.screenshot("07-unified-customers-checks")
    text = ui.text()
    results = {name: (re.search(rf"^{re.escape(name)}\n(\w[\w ]*)$", text, re.M) or [None, "not shown"])[1]
               for name in checks}
    assert all(result == "Succeeded" for result in results.values()), f"check results on the page: {results}"


def test_automation_page_lists_sensors_running_without_errors(
        hub: RunningHub, ui: Browser, nightly_run: dict[str, Any]) -> None:
    """After a run (sensors tick while it is in flight and after it), nothing is in error."""
    from selenium.webdriver.common.by import By

    repo = hub.graphql(AUTOMATION_QUERY, location=LOCATION, repository=REPOSITORY)["repositoryOrError"]
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    schedules = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    assert sensors, "the project defines no sensors"

    def rows(driver: Any) -> dict[str, dict[str, Any]] | None:
        found = {}
        for row in driver.find_elements(By.XPATH, "//div[contains(@class, 'ListItem_listItem')]"
                                                  "[.//a[contains(@href, '/sensors/') or contains(@href, '/schedules/')]]"):
            name = row.find_element(By.XPATH, ".//a").get_attribute("href").rstrip("/").rsplit("/", 1)[1]
            switches = row.find_elements(By.XPATH, ".//label[contains(@class, 'formatSwitch')]/input")
            icons = [icon.get_attribute("aria-label") for icon in row.find_elements(By.XPATH, ".//*[@role='img']")]
            found[name] = {"on": bool(switches) and switches[0].is_selected(), "icons": icons}
        return found if set(sensors) | set(schedules) <= set(found) else None

    with ui.step("08-automation"):
        ui.open("/")
        ui.click_nav("Automation")
        ui.wait(f"the sensors {sorted(sensors)} and schedules {sorted(schedules)}", rows)
        # The switches show their state once the page's instigation query answers.
        with contextlib.suppress(AssertionError):
            ui.wait("every switch on", lambda d: all(r["on"] for r in (rows(d) or {"": {"on": False}}).values()),
                    timeout=20)
        ui.screenshot("08-automation")
        listed = rows(ui.driver)
        assert listed, "the Automation page no longer lists every sensor and schedule"

    problems = []
    off = sorted(name for name, row in listed.items() if not row["on"])
    if off:
        problems.append(f"the Automation page shows these switched off: {off}")
    # The latest tick's icon: "warning" is a failed tick (Dagster's LatestTickHoverButton).
    warned = sorted(name for name, row in listed.items() if "warning" in row["icons"])
    if warned:
        problems.append(f"the Automation page shows a failed latest tick for {warned}")
    not_running = {name: status for name, status in {**sensors, **schedules}.items() if status != "RUNNING"}
    if not_running:
        problems.append(f"not running according to GraphQL: {not_running}")

    failed = {}
    for name in sensors:
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": name}
        ticks = hub.graphql(TICKS_QUERY, selector=selector)["sensorOrError"]["sensorState"]["ticks"]
        if not ticks:
            problems.append(f"{name}: the daemon never evaluated it")
        errors = [_error_line(t["error"]) for t in ticks if t["status"] == "FAILURE"]
        if errors:
            failed[name] = errors
            problems.append(f"{name}: {len(errors)} of {len(ticks)} ticks failed, e.g. {errors[0]}")
    for name in failed:  # what a person finds on the sensor's page: its tick history
        with contextlib.suppress(Exception):
            ui.open(f"/locations/{LOCATION}/sensors/{name}")
            ui.wait(f"{name}'s page", lambda d, name=name: name in ui.text() and "tick" in ui.text().lower())
            ui.screenshot(f"09-sensor-{name}-FAILED")
    assert not problems, "sensors on the Automation page:\n" + "\n".join(problems)


PARTITIONS_QUERY = """query Partitions($path: [String!]!) { assetNodes(assetKeys: [{path: $path}]) {
    partitionStats { numMaterialized numPartitions numFailed } } }"""


RUNS_QUERY = """query Runs($filter: RunsFilter) { runsOrError(filter: $filter) {
    ... on Runs { results { runId status } } } }"""


def test_a_usage_file_shows_up_as_day_partitions(hub: RunningHub, ui: Browser, nightly_run: dict[str, Any]) -> None:
    """A usage file lands (after nightly_sync, so no run slows it): usage_log_sensor launches
    usage_ingest, usage_days_sensor the days it touched, and the asset's Partitions tab shows
    those days materialized, the rest of the range missing."""
    import datetime as dt
    import gzip
    import json

    from hub.warehouse import Warehouse

    today = dt.datetime.now(dt.UTC).date()
    days = [(today - dt.timedelta(days=n)).isoformat() for n in (3, 2, 1)]
    landing = hub.home / "landing" / "usage"
    lines = [json.dumps({"timestamp": f"{day}T09:{n:02d}:00Z", "customer_id": "unknown-to-the-ui-test",
                         "event": "api_call", "user_id": f"u{n}"}) for day in days for n in range(5)]
    part = landing / "ui-test.jsonl.gz.part"
    with gzip.open(part, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    part.rename(landing / "ui-test.jsonl.gz")

    def finished(job: str) -> list[dict[str, Any]] | None:
        runs = hub.graphql(RUNS_QUERY, filter={"pipelineName": job})["runsOrError"]["results"]
        return runs if runs and all(r["status"] in TERMINAL for r in runs) else None

    for job in ("usage_ingest", "usage_days"):
        runs = _wait_for(f"the sensor-launched {job} runs to finish", lambda job=job: finished(job), 240, hub)
        assert all(r["status"] == "SUCCESS" for r in runs), f"{job}: {runs}\n{hub.logs()}"
    stats = hub.graphql(PARTITIONS_QUERY, path=["raw", "usage", "days"])["assetNodes"][0]["partitionStats"]
    assert stats["numMaterialized"] == len(days) and stats["numFailed"] == 0, stats
    warehouse = Warehouse(hub.warehouse_url)
    assert warehouse.count("raw", "usage_files") == 1
    warehouse.engine.dispose()

    with ui.step("10-usage-days-partitions"):
        ui.open("/assets/raw/usage/days?view=partitions")
        ui.wait("the Partitions tab", lambda d: "Materialized" in ui.text() and "Missing" in ui.text())
        ui.screenshot("10-usage-days-partitions")
