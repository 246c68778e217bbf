#!/usr/bin/env bash
# scripts/setup.sh -- the set-up shared by the two commands, scripts/lab and scripts/test.
#
#   source scripts/setup.sh && wfpsim_setup lab     # what scripts/lab does first
#   source scripts/setup.sh && wfpsim_setup test    # what scripts/test does first
#   bash scripts/setup.sh lab|test                  # the same, on its own
#
# It makes sure that, in this checkout:
#   1. a Python >= 3.11 is found (python3, python3.13, python3.12, python3.11; or $WFPSIM_PYTHON);
#   2. ./.venv exists (python -m venv .venv), with Debian's python3.X-venv if venv needs it;
#   3. Graphviz's `dot` program is on PATH (both commands);
#   4. /usr/bin/chromium exists (scripts/test only: the browser tests drive it with Playwright);
#   5. `pip install -e '.[EXTRA]'` has been done into .venv, skipped while a stamp in .venv
#      (a hash of pyproject.toml and the extra's name) is current, so reruns are fast.
# Missing OS packages are installed with apt-get when running as root; otherwise the exact
# `sudo apt-get install -y ...` command is printed and the command exits with status 1.

# The root of the checkout: the directory above this file.
WFPSIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WFPSIM_VENV="$WFPSIM_ROOT/.venv"
_WFPSIM_APT_UPDATED=0

_wfpsim_say() { printf '[wfpsim setup] %s\n' "$*" >&2; }
_wfpsim_die() {
    printf '[wfpsim setup] ERROR: %s\n' "$*" >&2
    exit 1
}
_wfpsim_is_root() { [ "$(id -u)" = 0 ]; }
_wfpsim_have() { command -v "$1" >/dev/null 2>&1; }

# apt-get update, at most once per run.
_wfpsim_apt_update() {
    if [ "$_WFPSIM_APT_UPDATED" = 0 ]; then
        _wfpsim_say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
            _wfpsim_die "apt-get update failed (see the messages above)."
        _WFPSIM_APT_UPDATED=1
    fi
}

# apt-get install -y PKG..., as root; apt's progress goes to a log shown only on failure.
_wfpsim_apt_install() {
    local log
    _wfpsim_apt_update
    _wfpsim_say "apt-get install -y $*"
    log="$(mktemp "${TMPDIR:-/tmp}/wfpsim-apt.XXXXXX")"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        _wfpsim_die "apt-get install -y $* failed (output above)."
    fi
    rm -f "$log"
}

# Print the interpreter path of the first Python >= 3.11 found, or nothing.
_wfpsim_find_python() {
    local cand exe
    for cand in ${WFPSIM_PYTHON:-} python3 python3.13 python3.12 python3.11; do
        _wfpsim_have "$cand" || continue
        if exe="$("$cand" -c 'import sys
if sys.version_info < (3, 11): raise SystemExit(1)
print(sys.executable)' 2>/dev/null)" && [ -n "$exe" ]; then
            printf '%s\n' "$exe"
            return 0
        fi
    done
    return 1
}

_wfpsim_no_python() {
    cat >&2 <<'EOF'
[wfpsim setup] ERROR: no Python 3.11 or newer was found (tried python3, python3.13, python3.12,
python3.11; set WFPSIM_PYTHON=/path/to/python to name one). Install one, then rerun:
    Debian 12 / Ubuntu 24.04:  sudo apt-get install -y python3 python3-venv
    Ubuntu 22.04:              sudo apt-get install -y python3.11 python3.11-venv
    Fedora:                    sudo dnf install -y python3
    macOS (Homebrew):          brew install python@3.12
or use conda instead of these scripts:  conda env create -f environment.yml
EOF
    exit 1
}

# Is .venv usable: Python >= 3.11 with pip?
_wfpsim_venv_ok() {
    [ -x "$WFPSIM_VENV/bin/python" ] &&
        "$WFPSIM_VENV/bin/python" -c 'import sys
if sys.version_info < (3, 11): raise SystemExit(1)
import pip' >/dev/null 2>&1
}

# python -m venv .venv; returns 2 if the interpreter lacks ensurepip (Debian: python3.X-venv).
_wfpsim_make_venv() {
    local py="$1" out
    _wfpsim_say "creating .venv with $py"
    if out="$("$py" -m venv "$WFPSIM_VENV" 2>&1)" && _wfpsim_venv_ok; then
        return 0
    fi
    rm -rf "$WFPSIM_VENV"
    if ! "$py" -c 'import ensurepip' >/dev/null 2>&1 ||
        printf '%s' "$out" | grep -qiE 'ensurepip|python3(\.[0-9]+)?-venv'; then
        return 2
    fi
    printf '%s\n' "$out" >&2
    _wfpsim_die "'$py -m venv .venv' failed (output above)."
}

# The stamp records what was installed: pyproject.toml, the extra, the venv's Python.
_wfpsim_stamp_value() {
    "$WFPSIM_VENV/bin/python" - "$WFPSIM_ROOT/pyproject.toml" "$1" <<'EOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    h.update(f.read())
h.update(b"\0" + sys.argv[2].encode() + b"\0" + sys.version.encode())
print(h.hexdigest())
EOF
}

# True when .venv already has wfpsim installed (editable, from this checkout) with EXTRA.
_wfpsim_stamp_current() {
    local extra="$1" want file
    # The editable install must point at this checkout (it goes stale if the checkout moves).
    "$WFPSIM_VENV/bin/python" - "$WFPSIM_ROOT" <<'EOF' >/dev/null 2>&1 || return 1
import importlib.util, os, sys
spec = importlib.util.find_spec("wfpsim")
root = os.path.realpath(sys.argv[1])
ok = spec is not None and spec.origin is not None
ok = ok and os.path.realpath(spec.origin).startswith(root + os.sep)
raise SystemExit(0 if ok else 1)
EOF
    # The test extra includes everything in the lab extra.
    local candidates=("$extra")
    [ "$extra" = lab ] && candidates+=(test)
    for extra in "${candidates[@]}"; do
        file="$WFPSIM_VENV/.wfpsim-installed-$extra"
        [ -f "$file" ] || continue
        want="$(_wfpsim_stamp_value "$extra")" || return 1
        [ "$(cat "$file")" = "$want" ] && return 0
    done
    return 1
}

# wfpsim_setup lab|test
wfpsim_setup() {
    local extra="${1:-}" py venv_pending=0 rc
    case "$extra" in
    lab | test) ;;
    *) _wfpsim_die "usage: wfpsim_setup lab|test" ;;
    esac
    cd "$WFPSIM_ROOT" || _wfpsim_die "cannot cd to $WFPSIM_ROOT"
    [ -f pyproject.toml ] || _wfpsim_die "no pyproject.toml in $WFPSIM_ROOT"

    # OS packages still needed, and why.
    local -a need_pkgs=() need_why=()

    # 1-2. Python and .venv.
    if _wfpsim_venv_ok; then
        :
    else
        if [ -e "$WFPSIM_VENV" ]; then
            _wfpsim_say ".venv is unusable (no Python >= 3.11 with pip in it): recreating it"
            rm -rf "$WFPSIM_VENV"
        fi
        py="$(_wfpsim_find_python)" || _wfpsim_no_python
        rc=0
        _wfpsim_make_venv "$py" || rc=$?
        if [ "$rc" = 2 ]; then
            local pyver
            pyver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
            need_pkgs+=("python$pyver-venv")
            need_why+=("$py has no ensurepip, which 'python -m venv' needs")
            venv_pending=1
        fi
    fi

    # 3. Graphviz's dot (both commands).
    if ! _wfpsim_have dot; then
        need_pkgs+=(graphviz)
        need_why+=("the 'dot' program (Graphviz) is not on PATH")
    fi

    # 4. Chromium for the browser tests (test command only).
    if [ "$extra" = test ] && [ ! -x /usr/bin/chromium ]; then
        need_pkgs+=(chromium)
        need_why+=("/usr/bin/chromium is missing (the browser tests drive it)")
    fi

    if [ "${#need_pkgs[@]}" -gt 0 ]; then
        local why
        for why in "${need_why[@]}"; do _wfpsim_say "missing: $why"; done
        if ! _wfpsim_have apt-get; then
            {
                echo "[wfpsim setup] ERROR: install these with your system's package manager, then rerun:"
                echo "    ${need_pkgs[*]}"
                echo "(Graphviz gives the 'dot' program; the tests expect Chromium at /usr/bin/chromium.)"
                echo "Or use conda instead: conda env create -f environment.yml"
            } >&2
            exit 1
        fi
        if _wfpsim_is_root; then
            _wfpsim_apt_install "${need_pkgs[@]}"
        else
            {
                echo "[wfpsim setup] ERROR: missing OS packages and not running as root. Run:"
                echo ""
                echo "    sudo apt-get install -y ${need_pkgs[*]}"
                echo ""
                echo "(if apt cannot find them, run 'sudo apt-get update' first), then rerun $0"
            } >&2
            exit 1
        fi
    fi

    if [ "$venv_pending" = 1 ]; then
        rc=0
        _wfpsim_make_venv "$py" || rc=$?
        [ "$rc" = 0 ] || _wfpsim_die "'$py -m venv .venv' still fails after installing ${need_pkgs[*]}."
    fi
    _wfpsim_have dot || _wfpsim_die "'dot' is still not on PATH after installing graphviz."
    if [ "$extra" = test ] && [ ! -x /usr/bin/chromium ]; then
        _wfpsim_die "/usr/bin/chromium is still missing after installing chromium."
    fi

    # 5. pip install -e '.[EXTRA]', unless the stamp says it is already done.
    if _wfpsim_stamp_current "$extra"; then
        _wfpsim_say "Python packages for '$extra' are up to date in .venv"
    else
        _wfpsim_say "pip install -e '.[$extra]' into .venv (a few minutes the first time)"
        rm -f "$WFPSIM_VENV"/.wfpsim-installed-*
        "$WFPSIM_VENV/bin/python" -m pip install --no-input --progress-bar off -q \
            -e ".[$extra]" || _wfpsim_die "pip install -e '.[$extra]' failed (output above)."
        _wfpsim_stamp_value "$extra" >"$WFPSIM_VENV/.wfpsim-installed-$extra"
    fi
    export VIRTUAL_ENV="$WFPSIM_VENV"
    export PATH="$WFPSIM_VENV/bin:$PATH"
}

# Run directly: bash scripts/setup.sh lab|test
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    wfpsim_setup "${1:-}"
fi
