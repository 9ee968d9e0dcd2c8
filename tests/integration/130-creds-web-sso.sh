#!/usr/bin/env bash
# Web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, and a profile's
# web_identity_token_file + role_arn) and IAM Identity Center (sso_session
# and legacy forms, from a token cache file written here in the CLI's
# format; an expired token) end to end against the emulator.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

export HOME=$T/home
mkdir -p "$HOME/.aws/sso/cache"
export AWS_ENDPOINT_URL_STS=$EMU_API_URL AWS_ENDPOINT_URL_SSO=$EMU_API_URL
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
ACCT=123456789012
cat >"$AWS_CONFIG_FILE" <<EOC
[profile wi]
web_identity_token_file = $T/wi-profile.jwt
role_arn = arn:aws:iam::$ACCT:role/wi-profile
role_session_name = wi-prof
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
[profile sso-new]
sso_session = corp
sso_account_id = $ACCT
sso_role_name = Admin
[profile sso-old]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = $ACCT
sso_role_name = ReadOnly
[profile sso-expired]
sso_start_url = https://expired.awsapps.com/start
sso_region = us-east-1
sso_account_id = $ACCT
sso_role_name = ReadOnly
EOC
printf 'jwt-from-env' >"$T/wi-env.jwt"
printf 'jwt-from-profile' >"$T/wi-profile.jwt"
emu_ctl config '{"web_identity_tokens": ["jwt-from-env", "jwt-from-profile"],
    "sso_tokens": ["sso-tok-session", "sso-tok-legacy"]}' >/dev/null

# StartSession of the last run signed with the key the last `api` issued.
last_start_is() {	# api
	logq '[e for e in L if e.get("api") == "StartSession"][-1]
	    ["access_key"] == [e for e in L if e.get("api") == "'"$1"'" and
	    e.get("status") == 200][-1]["issued_access_key"]'
}

# 1. Web identity from the environment.
AWS_ROLE_ARN=arn:aws:iam::$ACCT:role/wi-env \
    AWS_WEB_IDENTITY_TOKEN_FILE=$T/wi-env.jwt AWS_ROLE_SESSION_NAME=wi-env-s \
    "${SSH[@]}" "$DEST" 'echo wi-env' </dev/null >"$T/o1" 2>"$T/e1"
check "web identity (env): ssh works ($(cat "$T/e1"))" \
    [ "$(cat "$T/o1")" = wi-env ]
check "  one unsigned AssumeRoleWithWebIdentity for role wi-env" logq \
    '[(e["role_arn"], e["role_session_name"], e.get("signed"))
      for e in L if e.get("api") == "AssumeRoleWithWebIdentity"] ==
     [("arn:aws:iam::'$ACCT':role/wi-env", "wi-env-s", None)]'
check "  StartSession signed with the issued key" \
    last_start_is AssumeRoleWithWebIdentity
check "  one ssm-proxy run exits 0" px_check 1

# 2. Web identity from the profile (the file is sent as it is, like botocore).
AWS_PROFILE=wi "${SSH[@]}" "$DEST" 'echo wi-prof' </dev/null >"$T/o2" \
    2>"$T/e2"
check "web identity (profile): ssh works ($(cat "$T/e2"))" \
    [ "$(cat "$T/o2")" = wi-prof ]
check "  AssumeRoleWithWebIdentity for role wi-profile, session wi-prof" logq \
    '[(e["role_arn"].split("/")[-1], e["role_session_name"], e["status"])
      for e in L if e.get("api") == "AssumeRoleWithWebIdentity"][1:] ==
     [("wi-profile", "wi-prof", 200)]'
check "  StartSession signed with the issued key" \
    last_start_is AssumeRoleWithWebIdentity
check "  one ssm-proxy run exits 0" px_check 1

# 3. A token the identity provider refuses: STS's XML error, exit 2.
printf 'jwt-refused' >"$T/wi-bad.jwt"
AWS_ROLE_ARN=arn:aws:iam::$ACCT:role/wi-bad \
    AWS_WEB_IDENTITY_TOKEN_FILE=$T/wi-bad.jwt \
    "${SSH[@]}" "$DEST" true </dev/null 2>/dev/null
px_wait
check "web identity refused: STS error code and message in one line" same \
    "$T"/px/*.err "ssm-proxy: AssumeRoleWithWebIdentity failed: InvalidIdentityToken: Couldn't retrieve verification key from your identity provider"
check "  exit status 2" [ "$(cat "$T"/px/*.rc)" = 2 ]
mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"

# The CLI's SSO token cache file: ~/.aws/sso/cache/<sha1(key)>.json
sso_cache() {	# key token expires-at
	local h
	h=$(printf %s "$1" | sha1sum | cut -d' ' -f1)
	cat >"$HOME/.aws/sso/cache/$h.json" <<EOC
{"startUrl": "x", "region": "us-east-1", "accessToken": "$2", "expiresAt": "$3"}
EOC
}
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
earlier=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
sso_cache corp sso-tok-session "$later"
sso_cache https://legacy.awsapps.com/start sso-tok-legacy "$later"
sso_cache https://expired.awsapps.com/start sso-tok-session "$earlier"

# 4. sso_session form.
AWS_PROFILE=sso-new "${SSH[@]}" "$DEST" 'echo sso-new' </dev/null \
    >"$T/o4" 2>"$T/e4"
check "SSO (sso_session): ssh works ($(cat "$T/e4"))" \
    [ "$(cat "$T/o4")" = sso-new ]
check "  GetRoleCredentials Admin/$ACCT, unsigned" logq \
    '[(e["role_name"], e["account_id"], e["signed"], e["status"])
      for e in L if e.get("api") == "GetRoleCredentials"] ==
     [("Admin", "'$ACCT'", False, 200)]'
check "  StartSession signed with the role key" \
    last_start_is GetRoleCredentials
k=$(printf %s '{"accountId":"'$ACCT'","roleName":"Admin","sessionName":"corp","startUrl":"https://corp.awsapps.com/start"}' | sha1sum | cut -d' ' -f1)
check "  role credentials cached as the CLI names them" \
    [ -f "$HOME/.aws/cli/cache/$k.json" ]
check "  one ssm-proxy run exits 0" px_check 1

# 5. Legacy form.
AWS_PROFILE=sso-old "${SSH[@]}" "$DEST" 'echo sso-old' </dev/null \
    >"$T/o5" 2>"$T/e5"
check "SSO (legacy): ssh works ($(cat "$T/e5"))" \
    [ "$(cat "$T/o5")" = sso-old ]
check "  GetRoleCredentials ReadOnly with the legacy token" logq \
    '[(e["role_name"], e["status"]) for e in L
      if e.get("api") == "GetRoleCredentials"][1:] == [("ReadOnly", 200)]'
check "  StartSession signed with the role key" \
    last_start_is GetRoleCredentials
k=$(printf %s '{"accountId":"'$ACCT'","roleName":"ReadOnly","startUrl":"https://legacy.awsapps.com/start"}' | sha1sum | cut -d' ' -f1)
check "  role credentials cached as the CLI names them" \
    [ -f "$HOME/.aws/cli/cache/$k.json" ]
check "  one ssm-proxy run exits 0" px_check 1

# 6. Expired token: one line, exit 2, no call made.
AWS_PROFILE=sso-expired "${SSH[@]}" "$DEST" true </dev/null 2>/dev/null
px_wait
check "SSO expired token: one line telling to log in" same "$T"/px/*.err \
    'ssm-proxy: the IAM Identity Center token of profile sso-expired has expired: run `aws sso login --profile sso-expired`'
check "  exit status 2" [ "$(cat "$T"/px/*.rc)" = 2 ]
check "  no GetRoleCredentials, no StartSession for it" logq \
    'len([e for e in L if e.get("api") == "GetRoleCredentials"]) == 2 and
     len([e for e in L if e.get("api") == "StartSession"]) == 4'
it_done "web identity (env, profile, refused), SSO (sso_session, legacy, expired)"
