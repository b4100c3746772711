#!/bin/sh
# Starts Redis with the chat's ACL: deploy/redis-acl.template rendered with
# REDIS_USER and REDIS_PASSWORD, its comments dropped (an ACL file has none),
# so the default user is off. The password goes into REDIS_URL too, so it is
# kept to characters a URL carries as they are.
set -eu
: "${REDIS_USER:?REDIS_USER is not set}"
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
case "$REDIS_USER$REDIS_PASSWORD" in
  *[!A-Za-z0-9._~-]*)
    echo "redis: REDIS_USER and REDIS_PASSWORD may hold only A-Z a-z 0-9 . _ ~ -" >&2
    exit 2
    ;;
esac
sed -e '/^#/d' -e "s/\${REDIS_USER}/$REDIS_USER/g" -e "s/\${REDIS_PASSWORD}/$REDIS_PASSWORD/g" \
  "${REDIS_ACL_TEMPLATE:-/etc/redis/acl.template}" > "${REDIS_ACL_FILE:-/tmp/users.acl}"
set -- redis-server --aclfile "${REDIS_ACL_FILE:-/tmp/users.acl}" "$@"
# In the redis image, its own entrypoint starts the server as the redis user, not root.
if command -v docker-entrypoint.sh >/dev/null; then exec docker-entrypoint.sh "$@"; fi
exec "$@"
