// Progress on stderr for the CLI: one bar per stage label, with rate and ETA.
import { progressBar, type ProgressBar } from '../io/progress-node.js';

export function progressReporter(quiet: boolean): { update: (done: number, total: number, label: string) => void; done: () => void } {
  let bar: ProgressBar | null = null, current = '';
  return {
    update(done, total, label) {
      if (quiet) return;
      const stage = label.replace(/ \(.*$/, '');
      if (!bar || stage !== current) { bar?.finish(); bar = progressBar(); current = stage; }
      bar.update(done, total, label);
    },
    done() { bar?.finish(); bar = null; },
  };
}
