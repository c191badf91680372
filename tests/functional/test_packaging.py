"""`pip install .` and `ansible-galaxy collection build` give users what they need."""

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def run(command, **kwargs):
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (command, proc.stdout, proc.stderr)
    return proc


def test_pip_install_gives_the_collection_the_command_and_the_engine(tmp_path, ansible_env):
    wheels = tmp_path / "wheels"
    target = tmp_path / "site"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), ROOT])
    wheel = glob.glob(str(wheels / "*.whl"))[0]
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), wheel])
    collection = target / "ansible_collections" / "preflight" / "nginx"
    assert (collection / "plugins" / "modules" / "validate.py").is_file()
    assert (collection / "meta" / "runtime.yml").is_file()

    env = dict(ansible_env, PYTHONPATH=str(target), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="True",
               ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "none"))
    doc = run([os.path.join(BIN, "ansible-doc"), "preflight.nginx.validate"], env=env)
    assert str(collection) in doc.stdout

    script = target / "bin" / "nginx-preflight"
    assert script.is_file()
    out = run([sys.executable, str(script), "check", os.path.join(ROOT, "examples", "incident", "fixed")], env=env)
    assert "no problems found" in out.stdout

    code = ("from ansible_collections.preflight.nginx.plugins.module_utils import engine;"
            "print(engine.check_text('events {}\\nhttp { upstream a { server 0:80; } }').findings[0].rule)")
    out = run([sys.executable, "-c", code], env=env, cwd=str(tmp_path))
    assert out.stdout.strip() == "unspecified-connect-address"


def test_galaxy_build_gives_an_installable_tarball(tmp_path):
    galaxy = os.path.join(BIN, "ansible-galaxy")
    run([galaxy, "collection", "build", "--output-path", str(tmp_path), ROOT])
    tarball = glob.glob(str(tmp_path / "preflight-nginx-*.tar.gz"))[0]
    run([galaxy, "collection", "install", "--offline", "--force", "-p", str(tmp_path / "collections"), tarball])
    installed = tmp_path / "collections" / "ansible_collections" / "preflight" / "nginx"
    assert (installed / "MANIFEST.json").is_file()
    assert (installed / "plugins" / "module_utils" / "engine.py").is_file()
    assert not (installed / ".build").exists() and not (installed / "tests" / "__pycache__").exists()
    shipped = subprocess.run(["tar", "-tzf", tarball], capture_output=True, text=True, check=True).stdout.split()
    assert "roles/gate/meta/argument_specs.yml" in shipped and "docs/rules/README.md" in shipped
    assert "extensions/ansible_lint_rules/preflight_nginx/preflight_endpoint.py" in shipped
    dev_only = ("tests/", "bench/", "scripts/", "extensions/molecule", ".")
    unwanted = [name for name in shipped if name.startswith(dev_only) or name.endswith((".pid", ".pyc"))]
    assert unwanted == []
