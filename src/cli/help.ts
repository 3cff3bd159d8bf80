// The help texts of every command (`statevisor help <command>`, `<command> --help`), in one place so they
// read as a whole; each command's file prints its own with `help()`.

import { InputError } from '../kernel/errors.js';
import { DEFAULT_MAX_STEPS } from '../simulate.js';
import { EXIT_OK, type Io } from './io.js';

export const HELP: Readonly<Record<string, string>> = {
  main: `statevisor — an executable, inspectable model of a fault-tolerant virtualization platform

Usage: statevisor <command> [options]

Commands:
  list [f]                 the scenarios (or a scenario file's), with their parameters
  run <scenario>           run a scenario (a name, or a file.ts of your own) under a seed; prints a summary and every spec's verdict
  replay <trace>           re-execute a saved trace from its recorded choices; byte-identical or not
  check <scenario>         explore every interleaving and fault point (or random/swarm walks); counterexamples
  merge <result>...        combine the result files of a random/swarm check split with --shard into one report
  mutants [scenario]       check every planted bug and print the kill table; exit 1 if one survives
  soak                     the long verification: every check configuration, swarm seeds, every mutant
  export <machine|all|f>   write statecharts as Mermaid, JSON or Graphviz DOT
  gen-tests <machine|all|s> generate model-based test vectors from the charts, or (--sut) test a real implementation
  inspect [trace|f]        open a trace (or a run of a scenario file) in the offline inspector (web page on 127.0.0.1)
  help [command]           this text, or a command's

Every command takes --help; those that print data take --json. Exit codes: 0 success, 1 a spec
was violated, a check found a counterexample or a replay diverged (or a run hit a limit), 2 bad input.`,
  merge: `Usage: statevisor merge RESULT... [--trace FILE] [--no-shrink] [--max-time S] [--json]

Combines the result files written by 'statevisor check --mode random|swarm --shard I/N' (one per shard,
run on as many machines as you like) into the report one machine would have printed for the whole seed
range: the same verdict, the same coverage (each goal's lowest reaching seed, the specs fed, each liveness
spec's closest approach) and the same counterexample (the lowest failing seed, shrunk and re-executed),
written as a trace and replayable with 'statevisor replay'. Every shard of the search must be there once,
and every file must come from the same search (scenario, mode, mutant, configuration, parameters, seeds).

Options:
  --trace FILE       where to write the counterexample trace (default traces/<scenario>-counterexample.jsonl)
  --no-shrink        report the counterexample as found, unshrunk
  --max-time S       bound on shrinking in seconds (default 600)
  --json             print the report as JSON`,
  mutants: `Usage: statevisor mutants [scenario] [--workers N] [--max-time S] [--json]

Checks every registered mutant (a planted, plausible bug; 'statevisor list' shows them) with a BFS of the check
configuration it is registered for, and prints the kill table: the mutant, the machine it is in, the spec
that caught it, the counterexample's length in steps, the states explored and the seconds it took. A mutant
no spec catches survives, and the command exits 1: the specs, or the check configurations, are too weak.

Options:
  --workers N        worker threads (default: one per core)
  --max-time S       bound on each mutant's exploration in seconds (a bound hit counts as survived)
  --json             the table as JSON`,
  soak: `Usage: statevisor soak [--seeds N] [--first-seed N] [--workers N] [--only STAGES] [--json]

The verification npm test has no time for (npm run soak), in three stages, each printed as it ends:
  exhaustive  every check configuration of every scenario explored to exhaustion (BFS); a violation, a
              vacuous verdict (a 'sometimes' never reached, a liveness spec untested) or a bound hit
              fails, and a counterexample is written to traces/ with its replay command
  swarm       --seeds walks per scenario at its full defaults from --first-seed, each seed drawing its own
              faults and rates (loss, duplication, late messages, crashes, partitions); a failure names the
              lowest failing seed and the check command that shrinks it and writes its trace; walks that
              fed a spec nothing or owed a liveness spec no deadline by the horizon fail as vacuous
  mutants     every registered mutant on its check configuration, killed by the spec it is registered for
--only exhaustive,swarm picks stages. Defaults: 200 seeds from seed 1, one worker per core. Exit 1 when
anything failed; the summary lists each failure with how to reproduce it.`,
  list: `Usage: statevisor list [--json]

Lists the scenarios with their parameters, defaults and allowed ranges.`,
  run: `Usage: statevisor run <scenario> [options]

<scenario> is a shipped scenario's name ('statevisor list') or a file of your own (my-system.ts) whose
default export is a scenario (see README, "Bring your own statecharts"). The same holds for check,
mutants, inspect, export and gen-tests.

Options:
  --seed N           seed of the run (non-negative integer, default 1)
  --set NAME=VALUE   set a scenario parameter (repeatable); see 'statevisor list'
  --params FILE      scenario parameters from a JSON file ({ "vms": 4, "dropRate": 0.1 }; at most 1 MiB); --set wins
  --trace FILE       write the trace (JSONL of XState inspection records + choices) to FILE
  --steps N          stop after N steps (default ${DEFAULT_MAX_STEPS})
  --until US         virtual-time horizon in µs (default: the scenario's)
  --max-queue N      fail if more than N deliveries are pending at once (default 100000)
  --mutant NAME      plant a known bug (see 'statevisor list'); shows which spec catches it
  --inspect          stream the run to the offline inspector (127.0.0.1) over a WebSocket; Ctrl-C to stop
  --pace N           with --inspect: records per second streamed to the page (default 2000)
  --port N           with --inspect: the inspector's port (default: a free one)
  --json             print the result as JSON instead of a summary
  --quiet            print only the verdict line

Exit codes: 0 every spec held, 1 a spec was violated or a limit was hit, 2 bad input.`,
  check: `Usage: statevisor check <scenario> [options]

Explores the scenario's small check configuration (see 'statevisor list') to exhaustion and checks
every spec on every state: exit 0 when they all hold, 1 with a counterexample (shortest with BFS),
written as a trace and replayable with 'statevisor replay'. It also reports where each of the
scenario's "sometimes" states (a failover, a partition, a commit) was first reached; an exhausted
search that never reaches one exits 1, since the checks were vacuous there. So does one in which a
liveness spec never owed a deadline falling due by the horizon: no schedule could have failed it.
Each liveness spec's closest approach to a deadline is shown beside it. States that differ only
in how sends on different channels interleaved are merged (sound: they have the same successors),
and so are states that differ only in the statistics their machines declare (see --audit-statistics)
and, for a system that declares interchangeable actors (defineSystem({ symmetry })), states that differ
only by a renaming of them (see --audit-symmetry).

Options:
  --mode M           bfs (default: shortest counterexample), dfs (low memory), random, swarm (over the scenario's
                     defaults, each seed drawing its faults; the options --set pins are not drawn)
  --config NAME      one check configuration (see 'statevisor list'); default: bfs/dfs explore every one,
                     random walks the first
  --set NAME=VALUE   override a parameter of the check configuration (repeatable)
  --params FILE      parameters from a JSON file, validated like --set (which wins)
  --full             start from the scenario's full defaults instead of its check configuration
  --mutant NAME      plant a known bug (see 'statevisor list')
  --until US         virtual-time horizon (default: the check configuration's)
  --max-depth N      bound on steps from the initial state (bfs/dfs)
  --max-states N     bound on distinct states (bfs/dfs; default 2000000)
  --max-time S       bound on wall time in seconds (default 600); random/swarm start no walk after it
  --max-memory MB    bfs/dfs: stop cleanly with "bound hit" past this much heap and typed arrays (default 8192)
  --sleep-sets       bfs/dfs, one thread: skip a delivery that an explored path already took in another order
                     (sleep sets): the same states, depths, verdict and shortest counterexample, fewer transitions
  --with-statistics  bfs/dfs: keep the statistics machines declare (meta.statevisor.statistics: context keys that
                     only count) in the state identity; by default states that differ only in them are one state
  --audit-statistics instead of checking the specs, check that the declared statistics decide nothing: every
                     reachable state against twins with them changed, and against the states merged into it;
                     exit 1 with where one decided something (one BFS thread; --max-states bounds it)
  --no-symmetry      bfs/dfs: keep every state of an orbit of the system's declared symmetry (by default one per
                     orbit: states equal up to renaming interchangeable actors are one state)
  --audit-symmetry   instead of checking the specs, check that the declared symmetry holds: every reachable state
                     against each of its renamed images and the states merged into it (same verdicts, goals and
                     successors); exit 1 with where they differ (one BFS thread; --max-states bounds it)
  --seeds N          random/swarm: walks to run (default 1000)
  --first-seed N     random/swarm: first seed (default 1)
  --workers N        random/swarm: worker threads (default: one per core); bfs: threads expanding each level
                     over one shared visited set, same report as one (default 1; pays on large searches)
  --no-shrink        random/swarm: report the counterexample as found, unshrunk
  --shard I/N        random/swarm: walk only the I-th of N contiguous ranges of the seeds (N alone: I from
                     JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it); writes a result file
  --result FILE      with --shard: where the result file goes (default statevisor-shard-I-of-N.json)
  --trace FILE       where to write the counterexample trace (default traces/<scenario>-counterexample.jsonl)
  --coverage FILE    bfs/dfs, one configuration: write how often the explored steps took each transition and
                     entered each state, per machine (slower: every step is recorded); 'inspect --coverage' shows it
  --json             print the report as JSON

A bound hit is reported as such (verdict "bound-hit", exit 0): the specs held on every state
visited, but not every reachable state was visited (random/swarm: not every seed was walked).
Random and swarm walks that held are vacuous (exit 1) when no walk reached one of the configuration's
'sometimes' goals (a swarm, drawing its own faults, claims none: they are listed), handed a spec an
observation, or owed one of its liveness specs a deadline falling due by the horizon; the report lists
each goal's lowest reaching seed and each liveness spec's closest approach over every walk.
Flags of the other search mode are refused rather than ignored.`,
  inspect: `Usage: statevisor inspect [TRACE | FILE.ts [--seed N]] [--compare TRACE_B] [--coverage FILE] [--port N]
       statevisor inspect [TRACE | FILE.ts [--seed N]] --html OUT.html [--step N] [--actor ADDRESS]

Starts the offline inspector on 127.0.0.1 (a free port unless --port) and prints its address; it opens
nothing by itself. The page shows every actor grouped by host, the selected actor's statechart drawn
from its machine with the active states highlighted, the message sequence chart, the actor's context,
and time travel (step back and forth, jump, slider); for a counterexample, the violated spec and its
step. Without TRACE it opens traces/ha-failover.jsonl (written by npm start). Given a scenario file, it
runs it once (seed 1 unless --seed), writes traces/<scenario>-seed<N>.jsonl and opens that. Stop it with Ctrl-C.
--compare TRACE_B opens a second run beside it (another seed, a mutant, the original): aligned by step, virtual
time or draw, the first divergence marked (key d), and the selected actor's state diffed between the two.
--html OUT.html writes the page as one self-contained file instead (bundle, styles, trace and charts inlined;
no server, no network) that opens at --step (default: the violation's) with --actor selected; a served page
takes the same as a link: http://127.0.0.1:PORT/?step=N&actor=ADDRESS.
--coverage FILE (from 'check --coverage') lets the chart's coverage overlay switch from this run's counts to the
exploration's, for the selected actor's machine.
Live: 'statevisor run <scenario> --inspect' streams the run to the page over a WebSocket.`,
  'gen-tests': `Usage: statevisor gen-tests <machine|all|scenario> --out DIR [--paths shortest|simple] [--min-coverage PERCENT] [--json]
       statevisor gen-tests --protocol <scenario> [--config NAME] --out DIR [--json]
       statevisor gen-tests --sut ADAPTER [--variant NAME|all] [--config NAME] [--generator paths|walks|both]
                            [--runs N] [--seed N] [--max-steps N] [--no-chart] [--html FILE] [--trace FILE] [--replay ANSWERS] [--json]

Generates tests from each statechart: shortest paths from xstate/graph to every state value, extended by
up to a few events over concrete states to cover every transition. For a shipped machine (or all), inputs
come from the shipped assemblies and events from the machines' samples and from real scenario runs. For a
scenario (a shipped one's name, or a .ts/.js file exporting one), tests are generated for every machine it
registers, with inputs from its first check configuration and events from runs of each of its check
configurations; the generated test loads that scenario to find its machine. A name that is both a machine
and a scenario means the machine. Writes, per machine,
<machine>.vectors.json ([{ event, expectedState, expectedEmits }] per vector, plus coverage) and
<machine>.generated.test.ts (vitest, replays each vector through the kernel's stepper). Prints states
and transitions covered vs total, and every uncovered transition with the reason it is unreachable.
Exit 1 when a machine's transition coverage is below --min-coverage (default 0).

With --protocol, explores a check configuration of the scenario (a name or a file; --config, default its
first; see statevisor list) and writes <scenario>.protocol-vectors.json:
system paths that together take every reachable (actor, transition) pair, each with its choices, its
deliveries and the externally visible outputs (packets on the wire, acks, commits, restores) a real
implementation's harness would compare.

With --sut, tests a real implementation against the model. ADAPTER is a .ts/.js file whose default export is
defineSut({ name, scenario, actors, start, variants? }): the implementation plays those actors, the kernel keeps
the clock, the network and every other actor. Each check configuration of the scenario (or --config) gets
graph paths (the explorer's paths that together take every transition of those actors) and --runs
property-based walks (fast-check, seed --seed; a failing walk is shrunk). Every step is judged by the
scenario's specs and by the actors' charts (the code must send what its chart sends; --no-chart: specs only).
An adapter that answers late or not within 5 s is reported flaky, one that throws an error: neither is a
verdict on the code. Prints each failure's steps and a --replay line that re-runs it exactly, then
coverage of the actors' charts (states, transitions, both outcomes of each guard, transition pairs) and the
specs exercised; --html writes it as a page, --trace the shortest failure as a trace for 'inspect'. --variant all runs the correct code and every planted bug
the adapter declares and tabulates which generator caught which. Exit 0 pass (or inconclusive: a step
bound hit with an obligation open), 1 a bug, a flaky adapter or an adapter error, 2 bad input.`,
  export: `Usage: statevisor export <machine|all|FILE.ts> [--format mermaid|json|dot] [--out DIR] [--compact]

Writes each statechart, generated from the machine definition: Mermaid stateDiagram-v2 (default),
the chart's JSON structure (states, nesting, parallel regions, transitions with guards and actions),
or Graphviz DOT. Given a scenario file, the machines its system runs. Without --out it prints to stdout; with --out DIR it writes <machine>.<mmd|json|dot>.
--compact (Mermaid, DOT) draws one arrow per pair of states, listing its events. Without it, each
transition has its own arrow but a state's self-loops are one loop; a compound state's transitions
into itself start at its "any state" node.`,
  replay: `Usage: statevisor replay <trace> [--json]

Re-executes the run a trace records (scenario, parameters and recorded choices from the file)
and compares every line with the file (lines may end in LF or CRLF). Exit codes: 0 byte-identical
and every spec held, 1 diverged (the step and line are reported) or byte-identical to a run that
violates a spec (a counterexample: the violation is reported), 2 unreadable or malformed trace (a
trace must be a regular file of at most 512 MiB).`,
};

/** Prints a command's help. */
export function help(command: string, io: Io): number {
  io.out(HELP[command] as string);
  return EXIT_OK;
}

/** `statevisor help [command]`: the topic is looked up as an own key (`help constructor` is unknown). */
export function cmdHelp(args: readonly string[], io: Io): number {
  const topic = args[0];
  if (topic !== undefined && !Object.hasOwn(HELP, topic)) throw new InputError(`help: unknown command '${topic}'`);
  return help(topic ?? 'main', io);
}
