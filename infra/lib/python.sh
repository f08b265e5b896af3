# The Python tools of the stack (moto, cargo-lambda with its zig, cfn-lint),
# pinned in infra/requirements.txt, in one virtualenv under $CACHE_DIR.

VENV="$CACHE_DIR/venv"

python_tools_install() {
  local stamp="$VENV/.requirements.sha256" want
  want="$(sha256sum "$REPO_ROOT/infra/requirements.txt" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v python3 >/dev/null || apt_install python3
  if [[ ! -x "$VENV/bin/python" ]]; then
    say python "creating the virtualenv $VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV" || fail python "python3 -m venv failed"
    fi
  fi
  say python "installing moto, cargo-lambda and cfn-lint (infra/requirements.txt)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip >/dev/null \
    || fail python "pip could not upgrade itself: is PyPI reachable?"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO_ROOT/infra/requirements.txt" \
    || fail python "pip install -r infra/requirements.txt failed: is PyPI reachable?"
  echo "$want" > "$stamp"
}

# Puts the venv first on PATH, so cargo-lambda finds its zig (`python3 -m ziglang`).
python_tools_path() {
  export PATH="$VENV/bin:$PATH"
}
