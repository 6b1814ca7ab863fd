/** The errors of `xapi-ovn show --format svg` (lib/show/render-svg-io.ts): Graphviz missing or failing. */
import { XapiOvnError, truncate } from '../errors.js'

/** `dot` (Graphviz) is not installed or not on PATH. params: [command] */
export class GraphvizMissingError extends XapiOvnError {
  constructor(command: string) {
    super(
      'OVN_GRAPHVIZ_MISSING',
      `${command} (Graphviz) is not installed or not on PATH: install graphviz (apt-get install graphviz, dnf install graphviz), or use --format dot and render it elsewhere`,
      [command],
    )
  }
}

/** `dot -Tsvg` exited with a failure. params: [command, status, stderr] */
export class GraphvizFailedError extends XapiOvnError {
  constructor(command: string, status: string, stderr: string) {
    super('OVN_GRAPHVIZ_FAILED', `${command} -Tsvg failed (${status}): ${truncate(stderr, 500)}`, [
      command,
      status,
      truncate(stderr, 2048),
    ])
  }
}
