"""Each reader: the incident (a connect target at 0:80) is an error at its line; the fix passes; binds are silent.

Each case is a file with the incident; the same file fixed (127.0.0.1) must pass.
"""

import os
import re

import pytest

from ansible_collections.preflight.nginx.plugins.module_utils import endpoint_scan

CASES = {
    "cron": ("etc/cron.d/health", """\
SHELL=/bin/sh
# the storefront's health check
*/5 * * * * root curl -fsS http://0:80/health >/dev/null
""", 3),
    "user crontab": ("var/spool/cron/crontabs/deploy", """\
MAILTO=ops@example.com
@reboot sleep 30; curl -fsS http://0:80/warmup
""", 2),
    "systemd unit": ("etc/systemd/system/probe.service", """\
[Unit]
Description=Probe the backend

[Service]
Type=oneshot
Environment=BACKEND=http://127.0.0.1:9000
ExecStart=/usr/bin/curl -fsS \\
    http://0:80/health
""", 8),
    "systemd Environment= feeding ExecStart=": ("etc/systemd/system/warm.service", """\
[Service]
Environment="BACKEND=0:80" "RETRIES=3"
ExecStart=/usr/bin/curl --retry $RETRIES $BACKEND
""", 3),
    "Compose healthcheck": ("stack/compose.yaml", """\
services:
  web:
    image: nginx:1.25
    ports: ["0.0.0.0:80:80"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://0:80/health"]
      interval: 10s
""", 6),
    "Compose CMD-SHELL with .env": ("stack2/docker-compose.yml", """\
services:
  api:
    image: example/api
    environment:
      HOST: 0.0.0.0
    healthcheck:
      test: ["CMD-SHELL", "wget -qO- ${HEALTH_URL} || exit 1"]
""", 7),
    "Compose extends in the same file": ("stack3/compose.yaml", """\
x-note: the probe is written once, each service says where it goes
services:
  probe-base:
    image: curlimages/curl
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://$$TARGET/health || exit 1"]
  web-probe:
    extends: probe-base
    environment:
      TARGET: "0:80"
""", 6),
    "Dockerfile HEALTHCHECK": ("img/Dockerfile", """\
FROM nginx:1.25
ENV APP_HOST=0.0.0.0
COPY site.conf /etc/nginx/conf.d/
HEALTHCHECK --interval=30s --timeout=3s \\
  CMD curl -f http://0:80/ || exit 1
""", 5),
    "Dockerfile RUN exec form": ("img2/app.Dockerfile", """\
FROM debian:12
ARG WARM_URL=http://0:80/warm
RUN ["curl", "-fsS", "--retry", "3", "http://0:80/warm"]
""", 3),
    "Kubernetes exec probe": ("k8s/deploy.yaml", """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          env:
            - name: LISTEN_ADDR
              value: "0.0.0.0:8080"
          livenessProbe:
            exec:
              command:
                - sh
                - -c
                - curl -fsS http://0:80/health
""", 19),
    "Kubernetes env feeding command": ("k8s/job.yaml", """\
apiVersion: batch/v1
kind: Job
metadata: {name: warm}
spec:
  template:
    spec:
      containers:
        - name: warm
          image: curlimages/curl
          env:
            - name: TARGET
              value: "0:80"
          command: ["curl", "-fsS", "$(TARGET)"]
""", 13),
    "GitHub Actions step": (".github/workflows/smoke.yml", """\
name: smoke
on: [push]
jobs:
  smoke:
    runs-on: ubuntu-latest
    env:
      PORT: 8080
    steps:
      - uses: actions/checkout@v4
      - name: Probe
        run: |
          docker compose up -d
          curl -fsS --retry 5 http://0:80/health
""", 13),
    "GitLab CI script": ("ci/.gitlab-ci.yml", """\
stages: [test]
smoke:
  stage: test
  variables:
    SITE: "http://0:80"
  script:
    - ./start.sh &
    - curl -fsS "$SITE/health"
""", 8),
    "Makefile recipe": ("proj/Makefile", """\
HEALTH = http://0:80/health

check:
\t@curl -fsS $(HEALTH)
""", 4),
    "shell script with a variable": ("bin/warm.sh", """\
#!/bin/bash
set -eu
BACKEND=0:80
for path in / /health; do
  curl -fsS "http://${BACKEND}${path}"
done
""", 5),
    "shell function called with the address": ("bin/smoke.sh", """\
#!/bin/sh
set -eu
probe() {
  curl -fsS --max-time 5 "http://$1/health" >/dev/null
}
probe 127.0.0.1:9000
probe 0:80
""", 7),
    "shell heredoc to ssh": ("bin/remote.sh", """\
#!/bin/sh
ssh web1 <<'END'
curl -fsS http://0:80/health
END
""", 3),
    "Helm values extraEnvVars": ("chart/values.yaml", """\
image:
  repository: example/app
extraEnvVars:
  - name: BIND_ADDRESS
    value: "0.0.0.0"
  - name: UPSTREAM_URL
    value: "http://0:80"
""", 7),
    ".env file": ("app/.env", """\
# where the worker sends its results
RESULTS_URL=http://0:80/results
BIND_ADDRESS=0.0.0.0
""", 2),
}


def layout(tmp_path, path, text):
    full = tmp_path / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(text)
    if full.name == "values.yaml":
        (full.parent / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    if "HEALTH_URL" in text:
        url = "http://0:80/health" if "0:80" not in text.replace("0.0.0.0", "") else "http://127.0.0.1:80/health"
        (full.parent / ".env").write_text("HEALTH_URL=%s\n" % url)
    return str(full)


def errors(result):
    return sorted((os.path.basename(f.file), f.line) for f in result.findings if f.severity == "error")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_incident_is_an_error_at_its_line(tmp_path, case):
    path, text, line = CASES[case]
    full = layout(tmp_path, path, text)
    result = endpoint_scan.scan([full])
    assert result.errors == []
    assert (os.path.basename(full), line) in errors(result), [repr(f) for f in result.findings]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fixed_version_passes(tmp_path, case):
    path, text, _line = CASES[case]
    full = layout(tmp_path, path, re.sub(r"(?<![0-9.])0:80", "127.0.0.1:80", text))
    dotenv = os.path.join(os.path.dirname(full), ".env")
    if "HEALTH_URL" in text:
        with open(dotenv, "w") as handle:
            handle.write("HEALTH_URL=http://127.0.0.1:80/health\n")
    result = endpoint_scan.scan([str(tmp_path)])
    assert result.errors == [] and result.findings == [], [repr(f) for f in result.findings]
    assert len(result.files) >= 1


def test_kinds_are_recognised_by_content_too(tmp_path):
    layout(tmp_path, "ops/probe", "#!/usr/bin/env bash\ncurl http://0:80/\n")
    layout(tmp_path, "ops/unitfile", "[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/curl http://0:80/\n")
    layout(tmp_path, "ops/jobs", "*/5 * * * * curl http://0:80/\n")
    layout(tmp_path, "ops/build.docker", "FROM alpine\nRUN wget http://0:80/\n")
    layout(tmp_path, "ops/stack.yml", "services:\n  a:\n    image: x\n    command: curl http://0:80/\n")
    result = endpoint_scan.scan([str(tmp_path)])
    assert sorted(result.kinds.values()) == ["compose", "crontab", "dockerfile", "shell", "systemd"]
    assert len(errors(result)) == 5


def test_a_variable_nobody_knows_is_not_judged_and_explain_says_so(tmp_path):
    full = layout(tmp_path, "bin/probe.sh", "#!/bin/sh\ncurl -fsS \"$BACKEND/health\"\n")
    result = endpoint_scan.scan([full], explain=True)
    assert result.findings == []
    assert result.notes and "$BACKEND" in result.notes[0]["message"] and result.notes[0]["line"] == 2
    result = endpoint_scan.scan([full], env={"BACKEND": "http://0:80"})
    assert errors(result) == [("probe.sh", 2)]


def test_bind_intent_is_silent(tmp_path):
    layout(tmp_path, "a/run.sh", "#!/bin/sh\nexport HOST=0.0.0.0\ngunicorn -b 0.0.0.0:8000 app:app &\n"
           "uvicorn --host 0.0.0.0 --port 8001 app:app\n")
    layout(tmp_path, "a/app.socket", "[Socket]\nListenStream=0.0.0.0:8080\nListenStream=[::]:8080\n")
    layout(tmp_path, "a/compose.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"0.0.0.0:80:80\"]\n"
           "    environment:\n      - HOST=0.0.0.0\n      - LISTEN=[::]:80\n"
           "    command: [\"python\", \"-m\", \"http.server\", \"--bind\", \"0.0.0.0\", \"80\"]\n")
    layout(tmp_path, "a/Dockerfile", "FROM python:3\nENV HOST=0.0.0.0 PORT=8000\nCMD uvicorn --host $HOST app:app\n")
    result = endpoint_scan.scan([str(tmp_path)])
    assert result.findings == [] and result.errors == [] and len(result.files) == 4


def test_credentials_never_appear_in_findings(tmp_path):
    layout(tmp_path, "a/backup.sh", "#!/bin/sh\ncurl -u admin:S3cretPw -H 'X-Token: abc123tok' "
           "http://ops:S3cretPw@0:80/backup\n")
    result = endpoint_scan.scan([str(tmp_path)])
    assert errors(result) == [("backup.sh", 2)]
    text = repr([f.as_dict() for f in result.findings])
    assert "S3cretPw" not in text and "abc123tok" not in text


def test_suppressions_with_a_reason(tmp_path):
    full = layout(tmp_path, "a/t.sh", "#!/bin/sh\n# preflight: ignore[unspecified-connect-address] loopback test\n"
                  "curl http://0:80/\ncurl http://0:81/  # preflight: ignore[unspecified-connect-address]\n")
    result = endpoint_scan.scan([full])
    assert [f.line for f in result.suppressed] == [3] and errors(result) == [("t.sh", 4)]


def test_malformed_yaml_and_units_are_named_and_the_scan_goes_on(tmp_path):
    layout(tmp_path, "a/compose.yaml", "services:\n  web: [unclosed\n")
    layout(tmp_path, "a/x.service", "[Service\nExecStart=/bin/true\n")
    layout(tmp_path, "a/z.sh", "#!/bin/sh\ncurl http://0:80/\n")
    result = endpoint_scan.scan([str(tmp_path)])
    messages = sorted(e["message"] for e in result.errors)
    assert "compose.yaml" in messages[0] and "malformed YAML" in messages[0]
    assert "x.service:1" in messages[1]
    assert errors(result) == [("z.sh", 2)]


def test_unreadable_files_are_named(tmp_path):
    full = layout(tmp_path, "a/z.sh", "#!/bin/sh\ncurl http://0:80/\n")
    if os.geteuid() == 0:  # root reads any file: a path through a file fails the read instead
        result = endpoint_scan.scan([full + "/nope"])
    else:
        os.chmod(full, 0)
        result = endpoint_scan.scan([full])
    assert result.errors and result.errors[0]["file"].startswith(full)


def test_field_trial_faults_stay_fixed(tmp_path):
    """Each false error the field trials found (docs/endpoints.md), as a small case of its own."""
    # documentation that quotes a unit file is not a unit
    layout(tmp_path, "docs/setup.md", "Write this unit:\n\n[Service]\nExecStart=/usr/bin/runner\n")
    # a placeholder the user fills in, in an example override file
    layout(tmp_path, "examples/compose.override.yml", "services:\n  exporter:\n    image: x/exporter\n"
           "    environment:\n      - EXPORTER_HOST=<your-mail-domain>\n")
    # URLs with no host: a database file, and Galera's empty cluster address (start a new cluster)
    layout(tmp_path, ".github/workflows/php.yml", "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
           "    env:\n      DATABASE_URL: sqlite:///%kernel.project_dir%/data.db\n    steps:\n"
           "      - run: make test\n")
    layout(tmp_path, "k8s/galera.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers:\n"
           "    - name: db\n      image: galera\n      env:\n        - name: WSREP_CLUSTER_ADDRESS\n"
           "          value: gcomm://\n")
    # a multi-line quoted string in a script holds a config (its "http {" is not httpie)
    layout(tmp_path, "test/run.sh", "#!/bin/sh\nconfig='\n  input {\n    http {\n    }\n  }\n'\necho \"$config\"\n")
    # an ARG without a default in a Dockerfile
    layout(tmp_path, "img/Dockerfile", "FROM alpine\nARG VERSION\nENV APP_VERSION=$VERSION\n")
    # a command named by a variable set differently in different branches
    layout(tmp_path, "get.sh", "#!/bin/sh\nif [ -n \"$DRY\" ]; then sh_c=echo; else sh_c='sh -c'; fi\n"
           "$sh_c \"curl -fsSL https://download.example.com/gpg -o /tmp/k\"\n")
    # an init script named *.service (a shebang, then shell) is a script, not a unit
    layout(tmp_path, "init/app.service", "#!/usr/bin/env sh\n### BEGIN INIT INFO\nDIR=\"/opt/app\"\n. \"$DIR/x\"\n")
    # Postfix's relay notation: a host name in brackets means "no MX lookup", not an IPv6 address
    layout(tmp_path, "relay/compose.yaml", "services:\n  mail:\n    image: mail\n    environment:\n"
           "      - DEFAULT_RELAY_HOST=[smtp.relay.example]:465\n")
    # an avahi service definition (XML) named *.service
    layout(tmp_path, "avahi/services/app.service", "<?xml version=\"1.0\"?>\n<service-group>\n"
           "  <service><port>80</port></service>\n</service-group>\n")
    result = endpoint_scan.scan([str(tmp_path)], explain=True)
    assert result.findings == [] and result.errors == [], (result.findings, result.errors)
    assert result.kinds[str(tmp_path / "init/app.service")] == "shell"
    assert "docs/setup.md" not in " ".join(result.files)
    notes = " ".join(n["message"] for n in result.notes)
    assert "a placeholder to fill in" in notes and "gcomm://: a URI that names no network host" in notes


def test_shell_functions_are_followed_into_their_calls(tmp_path):
    full = layout(tmp_path, "bin/deploy.sh", """\
#!/bin/bash
probe() { curl -fsS "http://$1/health"; }
wait_for() {
  local url="${1:-http://127.0.0.1:8080}"
  until curl -fsS "$url/ready" >/dev/null; do sleep 1; done
}
fetch() {
  curl -fsS --retry 3 "$@"
}
ping_home() { curl -fsS http://0:81/ping; }
BACKEND=0:9000
probe 127.0.0.1:8080 || exit 1
probe "$BACKEND"
wait_for
wait_for http://0:8080 2>&1
fetch -o /tmp/index.html http://0:80/
probe "$UPSTREAM"
ping_home
ping_home
""")
    result = endpoint_scan.scan([full], explain=True)
    assert errors(result) == [("deploy.sh", 10), ("deploy.sh", 13), ("deploy.sh", 15), ("deploy.sh", 16)]
    message = {f.line: f.message for f in result.findings}
    assert message[13].startswith("function probe (defined at line 2): curl http://0:9000/health:")
    assert message[15].startswith("function wait_for (defined at line 3): curl http://0:8080/ready:")
    # a literal target in the body is judged once, at its own line, not again at each call
    assert message[10].startswith("curl http://0:81/ping:")
    # an argument nobody knows here is not judged, and --explain says so at the call
    notes = [n for n in result.notes if n["line"] == 17]
    assert notes and "function probe" in notes[0]["message"] and "$UPSTREAM" in notes[0]["message"]


def test_shell_functions_not_followed_where_the_body_is_not_known(tmp_path):
    full = layout(tmp_path, "bin/two.sh", """\
#!/bin/sh
if [ -n "$STAGING" ]; then
  probe() { curl -fsS "http://$1/health"; }
else
  probe() { echo "would probe $1"; }
fi
probe 0:8080
skip_one() {
  shift
  curl -fsS "$1"
}
skip_one 0:8080 http://127.0.0.1/
with_defaults() {
  set -- --retry 3 "$@"
  curl -fsS "$@"
}
with_defaults 0:8080 http://127.0.0.1/
""")
    result = endpoint_scan.scan([full])
    assert result.findings == [] and result.errors == []


def test_compose_extends_another_file(tmp_path):
    layout(tmp_path, "stack/common.yml", """\
services:
  worker-base:
    image: example/worker
    environment:
      RESULTS_URL: http://0:8080/results
      LOG_LEVEL: info
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://$$PROBE_TARGET/health || exit 1"]
      interval: 10s
  quiet-base:
    image: example/worker
    # preflight: ignore[unspecified-connect-address] the sidecar answers on every address
    command: curl -fsS http://0:7000/
""")
    full = layout(tmp_path, "stack/compose.yaml", """\
services:
  worker:
    extends:
      file: common.yml
      service: worker-base
    environment:
      PROBE_TARGET: "0:9000"
  fixed:
    extends: {file: common.yml, service: worker-base}
    environment:
      RESULTS_URL: http://results:8080/results
      PROBE_TARGET: results:9000
  quiet:
    extends: {file: common.yml, service: quiet-base}
  lost:
    extends: {file: missing.yml, service: base}
    command: ["curl", "http://127.0.0.1/"]
""")
    result = endpoint_scan.scan([full], explain=True)
    assert result.errors == []
    # judged as worker's, where the values are written; fixed sets both again and is silent
    assert errors(result) == [("common.yml", 5), ("common.yml", 8)]
    by_line = {f.line: f.message for f in result.findings}
    assert "(service worker extends worker-base in common.yml)" in by_line[5]
    assert by_line[8].startswith("service worker healthcheck.test (extends worker-base in common.yml): "
                                 "curl http://0:9000/health:") and "(PROBE_TARGET=0:9000)" in by_line[8]
    assert [(os.path.basename(f.file), f.line) for f in result.suppressed] == [("common.yml", 13)]
    notes = [n for n in result.notes if "missing.yml" in n["message"]]
    assert notes and notes[0]["file"] == full and notes[0]["line"] == 16
    assert "service lost extends missing.yml, which cannot be read here" in notes[0]["message"]


def test_compose_extends_that_cannot_be_followed_is_a_note(tmp_path):
    layout(tmp_path, "s/broken.yml", "services:\n  base: [unclosed\n")
    full = layout(tmp_path, "s/compose.yaml", """\
services:
  a:
    extends: {file: broken.yml, service: base}
  b:
    extends: nowhere
  c:
    extends: d
    image: x
  d:
    extends: c
    image: x
""" + "".join("  e%d:\n    extends: e%d\n" % (n, n + 1) for n in range(1, 8)) + "  e8:\n    image: x\n")
    result = endpoint_scan.scan([full], explain=True)
    assert result.errors == [] and result.findings == []
    notes = sorted((n["line"], n["message"]) for n in result.notes)
    assert "which cannot be read: malformed YAML" in notes[0][1]
    assert "extends service nowhere, which this file does not define" in notes[1][1]
    assert any("in a loop" in message for _line, message in notes)
    deep = [(line, message) for line, message in notes if "extends away" in message]
    assert deep[0] == (23, "service e6 is more than 5 extends away from service e1: what it inherits is not judged")
    assert len(deep) == 2  # e1 and e2 reach that far; e3 ends at e8, which extends nothing


HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: shop
          image: "{{ .Values.image.repository }}"
          env:
            - name: BACKEND_URL
              value: {{ .Values.backend.url | quote }}
            - name: PAYMENTS_URL
              value: "http://{{ .Values.payments.host }}:{{ .Values.payments.port }}"
            - name: AUDIT_URL
              value: "http://{{ include "shop.audit" . }}:{{ .Values.audit.port }}"
            - name: SELF_CHECK_URL
              value: http://0.0.0.0:{{ .Values.containerPorts.http }}/healthz
          livenessProbe:
            exec:
              command: ["sh", "-c", "curl -fsS {{ .Values.backend.url }}{{ .Values.backend.healthPath }}"]
"""


def helm_chart(tmp_path, values, **overrides):
    layout(tmp_path, "chart/values.yaml", values)
    layout(tmp_path, "chart/templates/deployment.yaml", HELM_TEMPLATE)
    for name, text in overrides.items():
        layout(tmp_path, "chart/%s.yaml" % name.replace("_", "-"), text)
    return str(tmp_path / "chart")


HELM_VALUES = """\
image:
  repository: example/shop
backend:
  url: http://backend:8080
  healthPath: /health
payments:
  host: payments
  port: 9000
audit:
  port: 0
containerPorts:
  http: 8080
"""


def test_helm_value_overrides_are_judged_where_they_are_written(tmp_path):
    chart = helm_chart(tmp_path, HELM_VALUES, values_prod="backend:\n  url: http://0:8080\n",
                       values_eu="payments:\n  host: 0\n", values_staging="backend:\n  healthPath: /ready\n")
    result = endpoint_scan.scan([chart])
    assert result.errors == []
    assert errors(result) == [("values-eu.yaml", 2), ("values-prod.yaml", 2), ("values-prod.yaml", 2)]
    eu = [f.message for f in result.findings if f.file.endswith("values-eu.yaml")]
    prod = sorted(f.message for f in result.findings if f.file.endswith("values-prod.yaml"))
    # values-eu.yaml sets only the host: the port comes from values.yaml, as helm -f merges them
    assert eu[0].startswith('PAYMENTS_URL: "0" is the unspecified') and eu[0].endswith(
        "(templates/deployment.yaml:15 sets PAYMENTS_URL from .Values.payments.host, .Values.payments.port)")
    assert prod[0].startswith('BACKEND_URL: "0" is the unspecified')
    assert prod[1].startswith("helm template templates/deployment.yaml:22: curl http://0:8080/health:")
    # the override file alone (a pre-commit run on the changed file) is judged the same way
    alone = endpoint_scan.scan([os.path.join(chart, "values-prod.yaml")])
    assert errors(alone) == [("values-prod.yaml", 2), ("values-prod.yaml", 2)]


def test_helm_values_yaml_is_judged_even_where_an_override_fixes_it(tmp_path):
    # helm install without -f deploys values.yaml as it is: its own value is judged there
    chart = helm_chart(tmp_path, HELM_VALUES.replace("http://backend:8080", "http://0:8080"),
                       values_prod="backend:\n  url: http://backend.prod:8080\n")
    result = endpoint_scan.scan([chart])
    assert errors(result) == [("values.yaml", 4), ("values.yaml", 4)]


def test_helm_fixed_values_pass_and_unknown_templates_are_not_judged(tmp_path):
    chart = helm_chart(tmp_path, HELM_VALUES, values_prod="backend:\n  url: http://backend.prod:8080\n"
                       "payments:\n  host: payments.prod\n")
    result = endpoint_scan.scan([chart])
    # audit.port is 0 but the host is an include helm renders: not known here, not judged;
    # SELF_CHECK_URL's host is written in the template, not in a values file: not a values finding
    assert result.findings == [] and result.errors == []
