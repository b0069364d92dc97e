# Visita: the two commands of the README, and a few more.
.PHONY: start test security fuzz bench-join bench-compare bench-load bench-capacity bench-sfu soak surge backup-drill install

start: ## install what is missing, then run redis, one SFU node, signaling and the web client
	@bash scripts/bootstrap.sh
	@bash scripts/start.sh

test: ## install what is missing, then run every test
	@bash scripts/bootstrap.sh
	@bash scripts/test.sh

security: ## install what is missing, then run the attack suites (larger fuzzing) and print the attacks tried and refused
	@bash scripts/bootstrap.sh
	@bash scripts/security.sh

fuzz: ## install what is missing, then fuzz every client event with 10,000 cases aimed at real ids and states
	@bash scripts/bootstrap.sh
	@bash scripts/fuzz.sh

bench-join: ## 20 consultations in headless Chromium; writes docs/benchmarks.md
	@bash scripts/bootstrap.sh
	@bash scripts/bench-join.sh

bench-compare: ## BASE=<commit> [BENCH=join ROUNDS=3 CALLS=10]: the benchmark for BASE and the working tree, alternately; prints both and their ratio
	@bash scripts/bootstrap.sh
	@BASE="$(BASE)" BENCH="$(BENCH)" ROUNDS="$(ROUNDS)" CALLS="$(CALLS)" bash scripts/bench-compare.sh

bench-load: ## the patient link on an emulated iPhone over Slow 4G: time to an interactive device check; writes docs/benchmarks.md
	@bash scripts/bootstrap.sh
	@bash scripts/bench-load.sh

bench-capacity: ## signaling capacity with 1k, 5k, 10k and 19k waiting patients (memory after GC, admit latency); writes docs/benchmarks.md
	@bash scripts/bootstrap.sh
	@bash scripts/bench-capacity.sh

bench-sfu: ## SFU capacity: consultations through one worker on one core until 1 % loss (CPU, forwarding delay); writes docs/benchmarks.md
	@bash scripts/bootstrap.sh
	@bash scripts/bench-sfu.sh

soak: ## consultations cycling for SOAK_MINUTES (30); fails on leftovers or growth that does not level off; writes docs/benchmarks.md
	@bash scripts/bootstrap.sh
	@bash scripts/soak.sh

surge: ## a flu-season surge rehearsed: autoscaled platform, Prometheus, Artillery patients + browser calls; verdict, HTML report, docs/surge.md
	@bash scripts/bootstrap.sh
	@bash scripts/surge.sh

backup-drill: ## the restore drill: traffic, backups, a consultation deleted by hand, a point-in-time restore into a fresh Redis, compared (also in make test)
	@bash scripts/bootstrap.sh
	@bash scripts/backup-drill.sh

install: ## only install (system packages, Node 24, pnpm, mediasoup worker, node_modules)
	@bash scripts/bootstrap.sh
