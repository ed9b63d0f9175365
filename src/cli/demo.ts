// `pairvol demo [--scenario NAME] [--keep]`: the whole two-site system on this machine, with
// failures injected and narrated (src/demoScript). Exit 0 only when every check passed;
// Ctrl-C tears the lab down (exit 130).
import { DemoRun } from '../demoScript/demoRun.js';
import { findScenario, SCENARIOS } from '../demoScript/scenarios.js';
import { Screen } from '../demoScript/screen.js';
import { parseCommandLine, UsageError, type CliCommand } from './output.js';

const USAGE = `usage: pairvol demo [--scenario NAME] [--keep]
builds a two-site lab in a temporary directory (2 arrays, 2 host agents, a determining pair,
a data pair, an application writing numbered records), injects failures and checks that no
acknowledged record was lost.
  --scenario NAME   run only this one: ${SCENARIOS.map((s) => s.name).join(', ')}
  --keep            leave the lab running afterwards (Ctrl-C tears it down)
`;

export const command: CliCommand = {
  summary: 'the two-site system on this machine: failures injected, narrated and checked',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, { scenario: { type: 'string' }, keep: { type: 'boolean', default: false } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    let scenarios = SCENARIOS;
    if (values.scenario !== undefined) {
      const one = findScenario(values.scenario);
      if (!one) throw new UsageError(`unknown scenario "${values.scenario}"; choose one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
      scenarios = [one];
    }
    const demo = new DemoRun({ scenarios, keep: values.keep, screen: new Screen(process.stdout) });
    const onSignal = (): void => demo.interrupt();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await demo.run();
      if (result.interrupted) return 130;
      for (const failure of result.failedChecks) process.stderr.write(`pairvol demo: ${failure}\n`);
      return result.ok ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
