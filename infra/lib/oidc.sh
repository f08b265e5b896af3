# The local stand-in for the OIDC provider: an RSA signing key and its JWKS
# under $STACK_DIR/oidc/, made once (idempotent). The functions trust the
# JWKS (OIDC_JWKS); `cargo run -p dev-token -- <email>` signs tokens with the
# key (docs/auth.md). Local only: in AWS the municipality's provider signs.

OIDC_DIR="$STACK_DIR/oidc"
OIDC_KEY="$OIDC_DIR/signing-key.pem"
OIDC_JWKS_FILE="$OIDC_DIR/jwks.json"
# What the local tokens carry and the functions expect.
OIDC_LOCAL_ISSUER="urn:signalen:local-oidc"
OIDC_LOCAL_AUDIENCE="signals"

# base64url without padding, of stdin.
b64url() { basenc --base64url -w0 | tr -d '='; }

oidc_keys() {
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$OIDC_DIR"
  chmod 700 "$OIDC_DIR"
  if [[ ! -s "$OIDC_KEY" ]]; then
    say oidc "generating the local signing key ($OIDC_KEY)"
    (umask 077 && openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OIDC_KEY.tmp") \
      || fail oidc "openssl could not generate a key"
    mv "$OIDC_KEY.tmp" "$OIDC_KEY"
    rm -f "$OIDC_JWKS_FILE"
  fi
  if [[ ! -s "$OIDC_JWKS_FILE" ]]; then
    openssl rsa -in "$OIDC_KEY" -noout -text 2>/dev/null | grep -q '^publicExponent: 65537 ' \
      || fail oidc "$OIDC_KEY: expected an RSA key with exponent 65537"
    local hex n e=AQAB kid
    hex="$(openssl rsa -in "$OIDC_KEY" -noout -modulus | sed 's/^Modulus=//')"
    n="$(printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" | b64url)"
    # kid = the RFC 7638 thumbprint, as dev-token computes it from the key.
    kid="$(printf '{"e":"%s","kty":"RSA","n":"%s"}' "$e" "$n" | openssl dgst -sha256 -binary | b64url)"
    printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"%s"}]}\n' \
      "$kid" "$n" "$e" > "$OIDC_JWKS_FILE"
    say oidc "local JWKS written ($OIDC_JWKS_FILE, kid $kid)"
  fi
}

# The variables of the functions and of dev-token, as KEY=VALUE lines; the
# JSON values are single-quoted for both `eval` and cargo lambda's env file.
oidc_env() {
  cat <<ENV
OIDC_OP_ISSUER=$OIDC_LOCAL_ISSUER
OIDC_TRUSTED_AUDIENCES='["$OIDC_LOCAL_AUDIENCE"]'
OIDC_VERIFY_AUDIENCE=true
OIDC_DEV_SIGNING_KEY=$OIDC_KEY
ENV
  if [[ -s "$OIDC_JWKS_FILE" ]]; then
    printf "OIDC_JWKS='%s'\n" "$(cat "$OIDC_JWKS_FILE")"
  fi
}
