#!/usr/bin/env bash
# Container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI with
# AWS_CONTAINER_AUTHORIZATION_TOKEN and _TOKEN_FILE), instance metadata
# (IMDSv2, the v1 fallback when the token PUT is refused, v1 disabled) and
# credential_source Environment / Ec2InstanceMetadata / EcsContainer, end
# to end against the emulator's plain-HTTP metadata port.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

export HOME=$T/home
mkdir -p "$HOME"
export AWS_ENDPOINT_URL_STS=$EMU_API_URL
base_ak=$AWS_ACCESS_KEY_ID
base_sk=$AWS_SECRET_ACCESS_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cat >"$AWS_CONFIG_FILE" <<EOC
[profile cs-env]
role_arn = arn:aws:iam::123456789012:role/cs-env
credential_source = Environment
[profile cs-imds]
role_arn = arn:aws:iam::123456789012:role/cs-imds
credential_source = Ec2InstanceMetadata
[profile cs-ecs]
role_arn = arn:aws:iam::123456789012:role/cs-ecs
credential_source = EcsContainer
EOC
emu_ctl config '{"container_token": "ctr-secret-1"}' >/dev/null
CURI=$EMU_META_URL/container/v2/credentials/task

# StartSession of the last run signed with the key the last `api` issued.
last_start_is() {	# api
	logq '[e for e in L if e.get("api") == "StartSession"][-1]
	    ["access_key"] == [e for e in L if e.get("api") == "'"$1"'" and
	    e.get("status") == 200][-1]["issued_access_key"]'
}
count() {	# python condition on e -> prints the number of matching records
	/usr/bin/python3 -c 'import json, sys
print(sum(1 for e in map(json.loads, open(sys.argv[1])) if '"$1"'))' \
	    "$EMU_REQUEST_LOG"
}

# 1. Container, token in the environment.
AWS_CONTAINER_CREDENTIALS_FULL_URI=$CURI \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=ctr-secret-1 \
    "${SSH[@]}" "$DEST" 'echo ctr1' </dev/null >"$T/o1" 2>"$T/e1"
check "container (token): ssh works ($(cat "$T/e1"))" \
    [ "$(cat "$T/o1")" = ctr1 ]
check "  one GET with the right Authorization" logq \
    '[(e["method"], e["path"], e["authorization_ok"]) for e in L
      if e.get("api") == "container"] ==
     [("GET", "/container/v2/credentials/task", True)]'
check "  StartSession signed with the container key" last_start_is container
check "  one ssm-proxy run exits 0" px_check 1

# 2. Container, token in a file (trailing newline stripped).
printf 'ctr-secret-1\n' >"$T/ctr.tok"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$CURI \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$T/ctr.tok \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=ignored-when-file-set \
    "${SSH[@]}" "$DEST" 'echo ctr2' </dev/null >"$T/o2" 2>"$T/e2"
check "container (token file, wins over the variable): ssh works" \
    [ "$(cat "$T/o2")" = ctr2 ]
check "  second GET authorized" logq \
    '[e["authorization_ok"] for e in L if e.get("api") == "container"] ==
     [True, True]'
check "  StartSession signed with the container key" last_start_is container
check "  one ssm-proxy run exits 0" px_check 1

# IMDS: nothing else configured.
unset AWS_EC2_METADATA_DISABLED
export AWS_EC2_METADATA_SERVICE_ENDPOINT=$EMU_META_URL

# 3. IMDSv2.
"${SSH[@]}" "$DEST" 'echo imds2' </dev/null >"$T/o3" 2>"$T/e3"
check "IMDSv2: ssh works ($(cat "$T/e3"))" [ "$(cat "$T/o3")" = imds2 ]
check "  token PUT, role and credentials GETs with the token" logq \
    '[(e["method"], e["path"], e["status"], e.get("v1")) for e in L
      if e.get("kind") == "meta" and e.get("api") != "container"] ==
     [("PUT", "/latest/api/token", 200, None),
      ("GET", "/latest/meta-data/iam/security-credentials/", 200, False),
      ("GET", "/latest/meta-data/iam/security-credentials/emu-instance-role",
       200, False)]'
check "  StartSession signed with the instance key" last_start_is imds
check "  one ssm-proxy run exits 0" px_check 1

# 4. The token PUT refused (403): IMDSv1.
emu_ctl config '{"imds_token_status": 403}' >/dev/null
"${SSH[@]}" "$DEST" 'echo imds1' </dev/null >"$T/o4" 2>"$T/e4"
check "IMDSv1 fallback: ssh works ($(cat "$T/e4"))" [ "$(cat "$T/o4")" = imds1 ]
check "  PUT refused, then two GETs without a token" logq \
    '[(e["method"], e["status"], e.get("v1")) for e in L
      if e.get("kind") == "meta" and e.get("api") != "container"][3:] ==
     [("PUT", 403, None), ("GET", 200, True), ("GET", 200, True)]'
check "  StartSession signed with the instance key" last_start_is imds
check "  one ssm-proxy run exits 0" px_check 1

# 5. v1 disabled: the exact error, exit 2, no GET.
AWS_EC2_METADATA_V1_DISABLED=true "${SSH[@]}" "$DEST" true </dev/null \
    2>/dev/null
px_wait
check "IMDSv1 disabled: one line" same "$T"/px/*.err "ssm-proxy: no credentials for profile default in the environment, $AWS_SHARED_CREDENTIALS_FILE or $AWS_CONFIG_FILE; instance metadata: no IMDSv2 token (HTTP 403) and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED / ec2_metadata_v1_disabled)"
check "  exit status 2" [ "$(cat "$T"/px/*.rc)" = 2 ]
check "  no metadata GET after the refused PUT" [ "$(count \
    'e.get("kind") == "meta" and e["method"] == "GET" and e.get("api") != "container"')" = 4 ]
mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"
emu_ctl config '{"imds_token_status": null}' >/dev/null

# 6. credential_source on role profiles (--profile: environment keys are
# not used directly, only as the source).
assumed_with() {	# role source-key
	logq '[e["access_key"] for e in L if e.get("api") == "AssumeRole" and
	    e["role_arn"].endswith("/'"$1"'") and e["status"] == 200] ==
	    ["'"$2"'"]'
}
ssh_with "--profile cs-env"
AWS_ACCESS_KEY_ID=$base_ak AWS_SECRET_ACCESS_KEY=$base_sk \
    "${SSHX[@]}" "$DEST" 'echo cs-env' </dev/null >"$T/o6" 2>"$T/e6"
check "credential_source Environment: ssh works ($(cat "$T/e6"))" \
    [ "$(cat "$T/o6")" = cs-env ]
check "  AssumeRole signed with the environment's key" assumed_with cs-env \
    "$base_ak"
check "  StartSession signed with the role key" last_start_is AssumeRole

ssh_with "--profile cs-imds"
"${SSHX[@]}" "$DEST" 'echo cs-imds' </dev/null >"$T/o7" 2>"$T/e7"
check "credential_source Ec2InstanceMetadata: ssh works ($(cat "$T/e7"))" \
    [ "$(cat "$T/o7")" = cs-imds ]
ik=$(/usr/bin/python3 -c 'import json, sys
print([e for e in map(json.loads, open(sys.argv[1])) if e.get("api") == "imds"
       and "issued_access_key" in e][-1]["issued_access_key"])' \
    "$EMU_REQUEST_LOG")
check "  AssumeRole signed with the instance key" assumed_with cs-imds "$ik"
check "  StartSession signed with the role key" last_start_is AssumeRole

ssh_with "--profile cs-ecs"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$CURI \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=ctr-secret-1 \
    "${SSHX[@]}" "$DEST" 'echo cs-ecs' </dev/null >"$T/o8" 2>"$T/e8"
check "credential_source EcsContainer: ssh works ($(cat "$T/e8"))" \
    [ "$(cat "$T/o8")" = cs-ecs ]
ck=$(/usr/bin/python3 -c 'import json, sys
print([e for e in map(json.loads, open(sys.argv[1]))
       if e.get("api") == "container"][-1]["issued_access_key"])' \
    "$EMU_REQUEST_LOG")
check "  AssumeRole signed with the container key" assumed_with cs-ecs "$ck"
check "  StartSession signed with the role key" last_start_is AssumeRole
check "  three ssm-proxy runs exit 0" px_check 3

# 7. No region anywhere but the instance metadata's placement/region (the
# emulator checks the signing region).
emu_ctl config '{"imds_region": "'"$EMU_REGION"'"}' >/dev/null
(unset AWS_REGION AWS_DEFAULT_REGION
"${SSH[@]}" "$DEST" 'echo imds-region' </dev/null >"$T/o9" 2>"$T/e9")
check "region from IMDS: ssh works ($(cat "$T/e9"))" \
    [ "$(cat "$T/o9")" = imds-region ]
check "  placement/region asked with a token, StartSession signed for it" \
    logq '[(e["status"], e["v1"]) for e in L if e.get("path") ==
      "/latest/meta-data/placement/region"] == [(200, False)] and
     [e["signature"] for e in L if e.get("api") == "StartSession"][-1] ==
     "valid"'
check "  one ssm-proxy run exits 0" px_check 1

# 8. The region of a source_profile when the role profile has none.
cat >>"$AWS_CONFIG_FILE" <<EOC
[profile rg-role]
role_arn = arn:aws:iam::123456789012:role/rg
source_profile = rg-base
[profile rg-base]
region = $EMU_REGION
EOC
printf '[rg-base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$base_ak" "$base_sk" >"$AWS_SHARED_CREDENTIALS_FILE"
(unset AWS_REGION AWS_DEFAULT_REGION
export AWS_EC2_METADATA_DISABLED=true
AWS_PROFILE=rg-role "${SSH[@]}" "$DEST" 'echo sp-region' </dev/null \
    >"$T/o10" 2>"$T/e10")
check "region from the source_profile: ssh works ($(cat "$T/e10"))" \
    [ "$(cat "$T/o10")" = sp-region ]
check "  AssumeRole and StartSession signed validly for that region" logq \
    '[e["status"] for e in L if e.get("api") == "AssumeRole" and
      e["role_arn"].endswith("/rg")] == [200] and
     [e["signature"] for e in L if e.get("api") == "StartSession"][-1] ==
     "valid"'
check "  one ssm-proxy run exits 0" px_check 1
it_done "container (token, token file), IMDS v2, v1 fallback, v1 disabled, credential_source x3, region from IMDS and from a source_profile"
