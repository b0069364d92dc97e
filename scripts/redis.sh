# Redis as Visita runs it (sourced by scripts/start.sh and scripts/backup-drill.sh, not run):
# infra/redis/redis.conf and the ACL users of infra/redis/users.acl.template.

# Writes the ACL file ($1) with the password hash of each user, read from the environment:
# VISITA_REDIS_ADMIN_PASSWORD (the default user), VISITA_REDIS_SIGNALING_PASSWORD,
# VISITA_REDIS_SFU_PASSWORD, VISITA_REDIS_REPLICA_PASSWORD, VISITA_REDIS_SENTINEL_PASSWORD.
redis_write_acl() {
  local out="$1" user var hash sedargs=()
  for user in default signaling sfu replica sentinel; do
    case "$user" in default) var=VISITA_REDIS_ADMIN_PASSWORD;; *) var="VISITA_REDIS_$(echo "$user" | tr a-z A-Z)_PASSWORD";; esac
    [ -n "${!var:-}" ] || die "redis_write_acl: $var is not set"
    hash="$(printf '%s' "${!var}" | sha256sum | cut -d' ' -f1)"
    sedargs+=(-e "s/{{$user}}/$hash/")
  done
  # (an ACL file has no comments: the template's are dropped)
  grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/infra/redis/users.acl.template" | sed "${sedargs[@]}" > "$out"
  ! grep -q '{{' "$out" || die "infra/redis/users.acl.template names a user redis_write_acl does not know"
}

# PONG from the instance on port $1, as the administrator.
redis_ping() {
  REDISCLI_AUTH="$VISITA_REDIS_ADMIN_PASSWORD" redis-cli --no-auth-warning -p "$1" ping 2>/dev/null | grep -q PONG
}
