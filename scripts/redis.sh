# Redis as Visita runs it (sourced by scripts/start.sh and scripts/backup-drill.sh, not run):
# infra/redis/redis.conf and the ACL users of infra/redis/users.acl.template.

# Writes the ACL file ($1) with the password hash of each user, read from the environment:
# VISITA_REDIS_ADMIN_PASSWORD (the default user), VISITA_REDIS_SIGNALING_PASSWORD,
# VISITA_REDIS_SFU_PASSWORD, VISITA_REDIS_REPLICA_PASSWORD, VISITA_REDIS_SENTINEL_USER_PASSWORD.
redis_write_acl() {
  local out="$1" user var hash sedargs=()
  for user in default signaling sfu replica sentinel; do
    case "$user" in
      default) var=VISITA_REDIS_ADMIN_PASSWORD;;
      sentinel) var=VISITA_REDIS_SENTINEL_USER_PASSWORD;;
      *) var="VISITA_REDIS_$(echo "$user" | tr a-z A-Z)_PASSWORD";;
    esac
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

# High availability (VISITA_REDIS_HA=1): the configuration file of data node $1 (1 or 2) on port
# $2, data in directory $3, its primary's port $4 (node 2 starts as a replica of node 1). Written
# once: Redis rewrites it itself when Sentinel changes its role (CONFIG REWRITE), so a node that
# restarts keeps the role it had.
redis_ha_node_conf() {
  local n="$1" port="$2" dir="$3" primary="$4" conf="$3/node.conf"
  mkdir -p "$dir"
  [ -f "$conf" ] && grep -q "^port $port\$" "$conf" && { echo "$conf"; return; }
  {
    echo "include $ROOT/infra/redis/redis.conf"
    echo "port $port"
    echo "bind 127.0.0.1"
    echo "dir $dir"
    echo "aclfile $RUN/redis/users.acl"
    echo "masteruser replica"
    echo "masterauth $VISITA_REDIS_REPLICA_PASSWORD"
    [ "$n" = 1 ] || echo "replicaof 127.0.0.1 $primary"
  } > "$conf"
  echo "$conf"
}

# The configuration file of sentinel $1 on port $2, watching the primary on port $3 (written once:
# each sentinel keeps what it learnt there, epochs and the current primary).
# down-after-milliseconds 5000: a primary that does not answer for 5 s is replaced (7-9 s measured,
# Redis writes back within 10 s); the default 30 s would leave the platform without Redis ~34 s.
redis_sentinel_conf() {
  local n="$1" port="$2" primary="$3" dir="$RUN/sentinel-$1"
  local conf="$dir/sentinel.conf"
  mkdir -p "$dir"
  [ -f "$conf" ] && grep -q "^port $port\$" "$conf" && { echo "$conf"; return; }
  cat > "$conf" <<CONF
port $port
bind 127.0.0.1
dir $dir
requirepass $VISITA_REDIS_SENTINEL_PASSWORD
sentinel sentinel-pass $VISITA_REDIS_SENTINEL_PASSWORD
sentinel monitor visita 127.0.0.1 $primary 2
sentinel auth-user visita sentinel
sentinel auth-pass visita $VISITA_REDIS_SENTINEL_USER_PASSWORD
sentinel down-after-milliseconds visita 5000
sentinel failover-timeout visita 20000
sentinel parallel-syncs visita 1
CONF
  echo "$conf"
}

# The primary's port as sentinel $1 (a port) names it, or nothing.
redis_sentinel_primary() {
  REDISCLI_AUTH="$VISITA_REDIS_SENTINEL_PASSWORD" redis-cli --no-auth-warning -p "$1" \
    sentinel get-master-addr-by-name visita 2>/dev/null | sed -n 2p || true
}
