#!/usr/bin/env bash
# ./batch up: PostgreSQL (docker compose when a Docker engine answers, else a local cluster),
# migrations, the API and a worker, the simulator when no Anthropic__ApiKey is set, and a sample job.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

state=.batch
mkdir -p "$state/logs"
rm -f "$state/logs/build.log"
api_url=${BATCH_API_URL:-http://127.0.0.1:5080}
simulator_url=${BATCH_SIMULATOR_URL:-http://127.0.0.1:5090}

if [ -z "${Batch__AdminApiKey:-}" ]; then
  if [ ! -s "$state/admin-key" ]; then
    (umask 077; echo "bk_admin_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > "$state/admin-key")
  fi
  Batch__AdminApiKey=$(cat "$state/admin-key")
  export Batch__AdminApiKey
fi

# Webhooks are signed with this secret (README, "Webhooks"); kept like the admin key so receivers keep verifying.
if [ -z "${Batch__Webhooks__SigningSecret:-}" ]; then
  if [ ! -s "$state/webhook-signing-secret" ]; then
    (umask 077; echo "whsec_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > "$state/webhook-signing-secret")
  fi
  Batch__Webhooks__SigningSecret=$(cat "$state/webhook-signing-secret")
  export Batch__Webhooks__SigningSecret
fi

offline=false
if [ -z "${Anthropic__ApiKey:-}" ]; then
  offline=true
  export Simulator__ApiKey=${Simulator__ApiKey:-sim-local-key}
  # Short answers, as the sample's one-word classification would get.
  export Simulator__OutputTokensMin=${Simulator__OutputTokensMin:-3}
  export Simulator__OutputTokensMax=${Simulator__OutputTokensMax:-20}
  export Anthropic__ApiKey=$Simulator__ApiKey
  export Anthropic__BaseUrl=$simulator_url
fi

# Once per database: the idempotency key makes a later start answer 200 with the job the first one made.
submit_sample() {
  curl -sS --fail-with-body -H "Authorization: Bearer $Batch__AdminApiKey" -H "Idempotency-Key: batch-up-sample" \
    -F "spec=@samples/reviews.spec.json;type=application/json" \
    -F "file=@samples/reviews.csv;type=text/csv" "$api_url/api/jobs"
}

# The simulator's own limits (GET /_simulator/limits) become the default account's, unless Anthropic__* already say:
# Batch's defaults are for a new real key and would make the simulator crawl.
use_simulator_limits() {
  local limits=""
  for _ in $(seq 1 60); do
    limits=$(curl -sf -H "x-api-key: $Simulator__ApiKey" "$1/_simulator/limits") && break
    sleep 1
  done
  [ -n "$limits" ] || { echo "The simulator did not answer at $1: see $state/logs/simulator.log" >&2; return 1; }
  export Anthropic__Rpm=${Anthropic__Rpm:-$(echo "$limits" | sed -n 's/.*"rpm":\([0-9]*\).*/\1/p')}
  export Anthropic__InputTpm=${Anthropic__InputTpm:-$(echo "$limits" | sed -n 's/.*"input_tpm":\([0-9]*\).*/\1/p')}
  export Anthropic__OutputTpm=${Anthropic__OutputTpm:-$(echo "$limits" | sed -n 's/.*"output_tpm":\([0-9]*\).*/\1/p')}
}

# The limits in force, as the API has them: the default account's (for model classes without a budget of their own), then
# each budget's (0 = unlimited).
print_limits() {
  local auth=(-H "Authorization: Bearer $Batch__AdminApiKey")
  # A fresh database has no budgets yet: grep finding nothing is no failure here.
  { curl -sf "${auth[@]}" "$api_url/api/accounts" | tr '{' '\n' | grep '"name":"default"' \
    | sed -n 's/.*"rpm":\([0-9]*\),"input_tpm":\([0-9]*\),"output_tpm":\([0-9]*\).*/  Rate limits    \1 requests, \2 input tokens, \3 output tokens a minute per model class (0 = unlimited)/p'; } || true
  { curl -sf "${auth[@]}" "$api_url/api/accounts/default/budgets" | grep -o '"model_class":"[^"]*"\|"limit":[0-9]*' | paste - - - - \
    | sed 's/"model_class":"\([^"]*\)"\t"limit":\([0-9]*\)\t"limit":\([0-9]*\)\t"limit":\([0-9]*\)/    budget \1: \2 requests, \3 input tokens, \4 output tokens a minute/'; } || true
  if $offline; then
    echo "                 (the simulator's own; change them: README, \"Rate limits\")"
  else
    echo "                 (change them: README, \"Rate limits\")"
  fi
}

wait_for_api() {
  for _ in $(seq 1 120); do
    curl -sf -H "Authorization: Bearer $Batch__AdminApiKey" "$api_url/api/health" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "The API did not answer at $api_url: see $state/logs/api.log" >&2
  return 1
}

follow_sample() {
  local job_id=$1 status
  [ -n "$job_id" ] || return 0
  for _ in $(seq 1 120); do
    status=$(curl -sf -H "Authorization: Bearer $Batch__AdminApiKey" "$api_url/api/jobs/$job_id" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
    case "$status" in completed|failed|canceled|paused) break ;; esac
    sleep 1
  done
  echo "Sample job $job_id: ${status:-unknown}"
  curl -sf -H "Authorization: Bearer $Batch__AdminApiKey" "$api_url/api/jobs/$job_id" && echo
  echo "First results:"
  curl -sf -H "Authorization: Bearer $Batch__AdminApiKey" "$api_url/api/jobs/$job_id/results?format=csv" | head -n 4
}

print_banner() {
  cat <<TEXT

Batch is up.
  API            $api_url/api/jobs
  API reference  $api_url/docs
  Dashboard      $api_url/hangfire   (user: anything, password: the admin key)
  Admin key      $Batch__AdminApiKey
  Webhooks       signed with Batch__Webhooks__SigningSecret (generated once into $state/webhook-signing-secret)
  Operations     $api_url/healthz, /readyz, /metrics; each worker serves the same on port ${Batch__Worker__MetricsPort:-9464}
TEXT
  if $offline; then
    echo "  Messages API   $Anthropic__BaseUrl  (the simulator: no Anthropic__ApiKey is set, so no real model is called)"
  else
    echo "  Messages API   ${Anthropic__BaseUrl:-https://api.anthropic.com}"
  fi
  print_limits
  cat <<TEXT

Try:
  curl -H "Authorization: Bearer $Batch__AdminApiKey" -F spec=@samples/reviews.spec.json -F file=@samples/reviews.csv $api_url/api/jobs
TEXT
}

if [ -z "${ConnectionStrings__Batch:-}" ] && batch_docker_engine_answers; then
  export BATCH_ADMIN_API_KEY=$Batch__AdminApiKey BATCH_WEBHOOK_SIGNING_SECRET=$Batch__Webhooks__SigningSecret
  if $offline; then
    export COMPOSE_PROFILES=simulator ANTHROPIC_BASE_URL=http://simulator:8080 ANTHROPIC_API_KEY=$Simulator__ApiKey
    docker compose up -d --build simulator
    use_simulator_limits http://127.0.0.1:5090
    export ANTHROPIC_RPM=$Anthropic__Rpm ANTHROPIC_INPUT_TPM=$Anthropic__InputTpm ANTHROPIC_OUTPUT_TPM=$Anthropic__OutputTpm
  fi
  docker compose up -d --build
  wait_for_api
  print_banner
  job=$(submit_sample) && follow_sample "$(echo "$job" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')"
  echo "Logs: docker compose logs -f   Stop: docker compose down"
  exit 0
fi

ConnectionStrings__Batch=${ConnectionStrings__Batch:-$(batch_local_postgres)}
export ConnectionStrings__Batch

# Each project is named as its build finishes (the first build restores packages and takes a minute or two).
echo "Building (Release; the whole log is in $state/logs/build.log)..."
build_started=$SECONDS
if ! { for project in src/Batch.Api src/Batch.Worker src/Batch.Simulator; do
         dotnet build -c Release -v minimal -tl:off --nologo "$project" || exit 1
       done; } 2>&1 | tee -a "$state/logs/build.log" \
    | awk '/Restored / && !restored++ { print "  packages restored"; fflush() } / -> / && !built[$1]++ { print "  built " $1; fflush() }'; then
  tail -n 40 "$state/logs/build.log"
  exit 1
fi
echo "Built in $((SECONDS - build_started)) s."

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if $offline; then
  echo "No Anthropic__ApiKey is set: starting the Messages API simulator at $simulator_url; no real model is called."
  dotnet run --no-build -c Release --project src/Batch.Simulator -- --urls "$simulator_url" >"$state/logs/simulator.log" 2>&1 &
  pids+=($!)
  use_simulator_limits "$simulator_url"
fi

# The API migrates the database before it listens; the worker waits for it so they do not race.
dotnet run --no-build -c Release --project src/Batch.Api -- --urls "$api_url" >"$state/logs/api.log" 2>&1 &
pids+=($!)
wait_for_api
dotnet run --no-build -c Release --project src/Batch.Worker >"$state/logs/worker.log" 2>&1 &
pids+=($!)

print_banner
echo
echo "Submitting the sample job (samples/reviews.csv), once per database..."
if job=$(submit_sample); then
  echo "$job"
  follow_sample "$(echo "$job" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')"
else
  echo "Could not submit the sample job: $job" >&2
fi
echo
echo "Logs in $state/logs. Press Ctrl-C to stop."
wait
