"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test runs this with pip's command-line options to put pip into each
sanity virtual environment. Without internet access the real script cannot be
fetched, so this one uses the interpreter's own ensurepip and then installs
the requested packages from the package index pip is configured for.
"""
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
