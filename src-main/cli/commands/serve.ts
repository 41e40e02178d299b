/** taxi-mlops serve */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { openServices } from '../../platform/services.js';
import { initWorkspace } from '../../platform/workspace.js';
import { intArg, out, workspaceOf } from '../common.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the API over HTTP/WebSocket and the browser console')
    .option('--host <host>', 'address to bind (non-loopback needs --token)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', intArg('--port'), 8000)
    .option('--token <token>', 'bearer token required on /api (or TAXI_API_TOKEN)')
    .option('--open', 'open the console in the default browser')
    .option('--init', 'create the workspace first if it has none, as the desktop app does (an existing one is kept)')
    .action(async (o: { host: string; port: number; token?: string; open?: boolean; init?: boolean }, cmd: Command) => {
      const { startHttpServer } = await import('../../api/http.js');
      const workspace = workspaceOf(cmd);
      if (o.init && initWorkspace(workspace).created) out(`created workspace ${workspace}`);
      const s = await openServices({ workspace, mode: 'server' });
      const server = await startHttpServer({ services: s, host: o.host, port: o.port, ...(o.token ? { token: o.token } : {}) });
      out(`taxi-mlops serving ${s.workspace.paths.root} (profile ${s.workspace.profile.name}) on ${server.url}`);
      if (o.open) openBrowser(server.url);
      const stop = async (): Promise<void> => {
        await server.close();
        await s.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    spawn(cmd, args, { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  } catch {
    // No browser launcher: the URL is printed anyway.
  }
}

