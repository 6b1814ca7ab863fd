/**
 * The V8 flags the host agent runs with (rpm/xapi-ovn-agent.service's ExecStart; the lab's
 * LabHostAgent uses the same list, and a test checks the unit against it).
 *
 * Why: the agent is a small event-driven daemon with no hot loop, and dom0's memory is the VMs'.
 * Node's default young generation (16 MB semi-spaces) let a burst of 500 VIF plugs leave ~67 MB
 * RSS; with 1 MB semi-spaces and V8's lite mode (no optimizing compiler) the agent stays near
 * the bare runtime (bench/agent.ts: ~37 MB with 500 ports at rest, latency unchanged).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--lite-mode']
