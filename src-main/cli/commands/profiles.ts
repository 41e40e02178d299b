/**
 * taxi-mlops profiles list | show <name> | test [name] | use <name>: the connection profiles of the
 * workspace, over the same settings.* contract methods the Settings tab uses (secrets are only ever
 * reported as set / not set).
 */
import type { Command } from 'commander';
import type { Input, MethodName, Output } from '../../api/contract.js';
import { AppError } from '../../platform/errors.js';
import { call } from '../follow.js';
import { intArg, out, withServices, type GlobalOpts } from '../common.js';

type ProfileView = Output<'settings.profiles'>['profiles'][number];

async function show<M extends MethodName>(cmd: Command, method: M, input: Input<M>, human: (r: Output<M>) => void): Promise<Output<M>> {
  const r = await withServices(cmd, (s) => call(s, method, input));
  if (cmd.optsWithGlobals<GlobalOpts>().json) out(JSON.stringify(r, null, 2));
  else human(r);
  return r;
}

const target = (p: ProfileView['profile']): string[] => {
  const os = p.online_store;
  const bus = p.bus;
  const reg = p.registry;
  return [
    `online store  ${os.type === 'sqlite' ? `sqlite ${os.path}` : `redis ${os.connection_string} (${os.mode})`}`,
    `bus           ${bus.type === 'local' ? `local ${bus.path}` : `kafka ${bus.brokers.join(',')}`}`,
    `registry      ${reg.type === 'sqlite' ? `sqlite ${reg.path}` : `mlflow ${reg.tracking_uri}`}`,
  ];
};

function printProfile(p: ProfileView): void {
  out(`${p.name}${p.active ? ' (active)' : ''}  ${p.kind}${p.description ? `  — ${p.description}` : ''}`);
  for (const line of target(p.profile)) out(`  ${line}`);
  for (const sec of p.secrets) out(`  secret ${sec.name}  ${sec.status}${sec.source ? ` (${sec.source})` : ''}  used by ${sec.used_by}`);
}

export function registerProfilesCommands(program: Command): void {
  const profiles = program.command('profiles').description('connection profiles: list, show, test the services, switch the active one');
  profiles
    .command('list', { isDefault: true })
    .description('the profiles of the workspace; * marks the active one')
    .action(async (_o, cmd: Command) => {
      await show(cmd, 'settings.profiles', {}, (r) => {
        for (const p of r.profiles) {
          out(`${p.active ? '*' : ' '} ${p.name.padEnd(20)} ${p.kind.padEnd(9)} ${p.description ?? ''}`.trimEnd());
        }
        out(`secrets: ${r.secret_store.kind ?? 'none'} — ${r.secret_store.hint}`);
      });
    });
  profiles
    .command('show')
    .argument('<name>')
    .description("a profile's services and the status of its secrets (never their values)")
    .action(async (name: string, _o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'settings.profiles', {}));
      const p = r.profiles.find((x) => x.name === name);
      if (!p) throw new AppError('NOT_FOUND', `no profile "${name}"; profiles: ${r.profiles.map((x) => x.name).join(', ')}`, { profile: name });
      if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(p, null, 2));
      printProfile(p);
    });
  profiles
    .command('test')
    .argument('[name]', 'profile to test (default: the active one)')
    .option('--timeout <ms>', 'per-service timeout', intArg('--timeout', 200), 5000)
    .description('connect to each service of a profile and report latency or why it is unreachable')
    .action(async (name: string | undefined, o: { timeout: number }, cmd: Command) => {
      const input = name ? { name, timeout_ms: o.timeout } : await withServices(cmd, async (s) => ({ name: (await call(s, 'settings.profiles', {})).active, timeout_ms: o.timeout }));
      const r = await show(cmd, 'settings.profile.test', input, (t) => {
        out(`profile ${t.profile ?? '(draft)'}: ${t.ok ? 'all services reachable' : 'some services are unreachable'}`);
        for (const x of t.services) {
          out(`  ${x.status === 'ok' ? 'ok  ' : 'DOWN'} ${x.service.padEnd(13)} ${x.kind.padEnd(7)} ${x.target}  ${x.latency_ms === null ? '' : `${x.latency_ms.toFixed(1)} ms  `}${x.message}${x.code ? ` [${x.code}]` : ''}`);
        }
      });
      // Scripts can rely on the exit status: 1 when any service is down.
      if (!r.ok) process.exitCode = 1;
    });
  profiles
    .command('use')
    .argument('<name>')
    .description('make a profile the active one (engines reopen on it)')
    .action(async (name: string, _o, cmd: Command) => {
      await show(cmd, 'settings.profile.activate', { name }, (r) =>
        out(r.previous === r.active ? `profile ${r.active} was already active` : `active profile: ${r.active} (${r.kind}), was ${r.previous}`),
      );
    });
}
