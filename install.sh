#!/bin/sh
# Install perplex from this clone into a virtual environment of its own.
#
#   sh install.sh [QUESTION...]   install for the current user, link the `perplex` command
#                                 (and its manual page and completions) under ~/.local, then
#                                 ask QUESTION, or say how to set an API key when none is set
#   sh install.sh --test DIR      install with the test extras into the environment DIR, for
#                                 DIR/bin/python -m pytest
#
# Options: --constraints FILE pins dependency versions (constraints/lowest.txt is the lowest
# of every range, as CI tests them). PYTHON names the interpreter (default python3, 3.10+);
# PERPLEX_VENV the user environment (default ~/.local/share/perplex-cli/venv).
#
# Works on a bare Debian or Ubuntu Python: where `python3 -m venv` cannot install pip (no
# python3-venv package), the environment is made without pip and pip is fetched from PyPI.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
data=${XDG_DATA_HOME:-$HOME/.local/share}
venv=${PERPLEX_VENV:-$data/perplex-cli/venv}
test_env=
constraints=

while [ $# -gt 0 ]; do
    case $1 in
    --test)
        [ $# -ge 2 ] || { echo "install.sh: --test needs a directory" >&2; exit 2; }
        test_env=$2
        shift 2
        ;;
    --constraints)
        [ $# -ge 2 ] || { echo "install.sh: --constraints needs a file" >&2; exit 2; }
        constraints=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
        shift 2
        ;;
    --) shift; break ;;
    *) break ;;
    esac
done

say() { printf 'install.sh: %s\n' "$*" >&2; }

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    say "perplex needs Python 3.10 or newer as '$python' (set PYTHON to another interpreter)"
    exit 1
fi

# make_env DIR: a virtual environment with pip in it.
make_env() {
    if "$python" -m venv "$1" >/dev/null 2>&1 && [ -x "$1/bin/pip" ]; then
        return
    fi
    say "no ensurepip here: making $1 without pip and fetching pip from PyPI"
    "$python" -m venv --clear --without-pip "$1"
    "$1/bin/python" - <<'EOF'
import json, os, subprocess, sys, tempfile, urllib.parse, urllib.request

index = "https://pypi.org/pypi/pip/json"
with urllib.request.urlopen(index, timeout=60) as answer:
    release = json.load(answer)
wheel = next(f for f in release["urls"] if f["filename"].endswith("-py3-none-any.whl"))
path = os.path.join(tempfile.mkdtemp(), wheel["filename"])
urllib.request.urlretrieve(urllib.parse.urljoin(index, wheel["url"]), path)
# A wheel of pip runs from its own file: let it install itself.
subprocess.run([sys.executable, os.path.join(path, "pip"), "install", "-q", path], check=True)
EOF
}

# pip_install DIR ARGS...: pip inside DIR, with the constraints when given.
pip_install() {
    env_dir=$1
    shift
    if [ -n "$constraints" ]; then
        set -- -c "$constraints" "$@"
    fi
    "$env_dir/bin/python" -m pip install -q --disable-pip-version-check \
        --upgrade --upgrade-strategy eager "$@"
}

if [ -n "$test_env" ]; then
    [ -x "$test_env/bin/python" ] || make_env "$test_env"
    pip_install "$test_env" -e "$here[test]"
    say "installed perplex with its test extras in $test_env"
    exit 0
fi

[ -x "$venv/bin/python" ] || make_env "$venv"
pip_install "$venv" "$here"

bin=$HOME/.local/bin
mkdir -p "$bin" "$data/man/man1" "$data/bash-completion/completions" \
    "$data/fish/vendor_completions.d"
ln -sf "$venv/bin/perplex" "$bin/perplex"
ln -sf "$venv/share/man/man1/perplex.1" "$data/man/man1/perplex.1"
ln -sf "$venv/share/bash-completion/completions/perplex" "$data/bash-completion/completions/perplex"
ln -sf "$venv/share/fish/vendor_completions.d/perplex.fish" "$data/fish/vendor_completions.d/perplex.fish"
say "installed $("$bin/perplex" --version) as $bin/perplex"
case ":$PATH:" in
*":$bin:"*) ;;
*) say "add $bin to PATH to run it as plain 'perplex'" ;;
esac

[ $# -gt 0 ] || exit 0
if "$bin/perplex" key status >/dev/null 2>&1; then
    exec "$bin/perplex" ask --ignore-stdin "$@"
fi
cat >&2 <<EOF

No API key is set yet, so the question was not asked. Get a key at
https://www.perplexity.ai/settings/api, then either
    $bin/perplex key set                 (stores it, asking for it without echo)
    export PERPLEXITY_API_KEY=pplx-...
and ask again:
    $bin/perplex "$*"
EOF
