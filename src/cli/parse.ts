// Option parsers for commander: each rejects bad values with the flag's name and what was expected.
import { UsageError } from './errors.js';

export function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got '${v}'`);
    return n;
  };
}

export function nonNegativeInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`${flag}: expected an integer >= 0, got '${v}'`);
    return n;
  };
}

export function number(flag: string, { min = -Infinity, allowInf = false } = {}) {
  return (v: string): number => {
    const s = v.trim().toLowerCase();
    const n = allowInf && (s === 'inf' || s === 'infinity') ? Infinity : Number(s);
    if (s === '' || Number.isNaN(n) || (!allowInf && !Number.isFinite(n)) || n < min)
      throw new UsageError(`${flag}: expected a number${min > -Infinity ? ` >= ${min}` : ''}${allowInf ? " or 'inf'" : ''}, got '${v}'`);
    return n;
  };
}

/** Comma-separated numbers; accepts fractions like 8/255. */
export function numberList(flag: string, { min = -Infinity, max = Infinity } = {}) {
  return (v: string): number[] => {
    const out = v.split(',').map((p) => p.trim()).filter((p) => p !== '').map((p) => {
      const m = /^([0-9.eE+-]+)\s*\/\s*([0-9.eE+-]+)$/.exec(p);
      const n = m ? Number(m[1]) / Number(m[2]) : Number(p);
      if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag}: '${p}' is not a number in [${min}, ${max}] (in '${v}')`);
      return n;
    });
    if (out.length === 0) throw new UsageError(`${flag}: expected a comma-separated list of numbers, got '${v}'`);
    return out;
  };
}

export function intList(flag: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((p) => p.trim());
    return parts.map((p) => {
      if (!/^\d+$/.test(p)) throw new UsageError(`${flag}: '${p}' is not a non-negative integer (in '${v}')`);
      return Number(p);
    });
  };
}

export function choiceList<T extends string>(flag: string, choices: readonly T[]) {
  return (v: string): T[] => {
    const out = v.split(',').map((p) => p.trim()).filter(Boolean);
    for (const p of out) if (!choices.includes(p as T)) throw new UsageError(`${flag}: unknown value '${p}'; expected one of ${choices.join(', ')}`);
    if (out.length === 0) throw new UsageError(`${flag}: expected one or more of ${choices.join(', ')}`);
    return out as T[];
  };
}

export function choice<T extends string>(flag: string, choices: readonly T[]) {
  return (v: string): T => {
    if (!choices.includes(v as T)) throw new UsageError(`${flag}: unknown value '${v}'; expected one of ${choices.join(', ')}`);
    return v as T;
  };
}
