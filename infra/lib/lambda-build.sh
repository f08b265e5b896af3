# Release artefacts of every function for arm64 Lambda, as SAM's
# rust-cargolambda build makes them: `cargo lambda build --release --arm64`,
# cross-linked by zig (ziglang from infra/requirements.txt). Checks that each
# bootstrap is an aarch64 ELF and writes the sizes to
# $STACK_DIR/artefact-sizes.txt. Needs rustup (for the aarch64 target).

lambda_build_arm64() {
  local python_venv_bin="$CACHE_DIR/venv/bin" manifest name lambda_target lambda_dir sizes
  command -v rustup >/dev/null || fail build "rustup is missing: the arm64 target needs it (https://rustup.rs)"
  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
  local functions=()
  for manifest in "$REPO_ROOT"/functions/*/Cargo.toml; do functions+=(-p "$(basename "$(dirname "$manifest")")"); done
  # A target directory of its own: the release/aarch64 artefacts never evict
  # the debug cache the tests use, and the two builds do not wait on each
  # other's lock.
  lambda_target="$CACHE_DIR/target-lambda"
  (cd "$REPO_ROOT" && PATH="$python_venv_bin:$PATH" CARGO_TARGET_DIR="$lambda_target" \
    "$python_venv_bin/cargo-lambda" lambda build --release --arm64 --quiet "${functions[@]}")
  lambda_dir="$lambda_target/lambda"
  sizes="$STACK_DIR/artefact-sizes.txt"
  for manifest in "$REPO_ROOT"/functions/*/Cargo.toml; do
    name="$(basename "$(dirname "$manifest")")"
    [[ -f "$lambda_dir/$name/bootstrap" ]] || fail build "no arm64 artefact for $name"
    # ELF e_machine 183 = EM_AARCH64
    [[ "$(od -An -tu2 -j18 -N2 "$lambda_dir/$name/bootstrap" | tr -d ' ')" == 183 ]] \
      || fail build "$name/bootstrap is not an arm64 binary"
    awk -v n="$name" -v b="$(stat -c %s "$lambda_dir/$name/bootstrap")" 'BEGIN { printf "%-22s %6.1f MiB\n", n, b / 1048576 }'
  done | tee "$sizes"
}
