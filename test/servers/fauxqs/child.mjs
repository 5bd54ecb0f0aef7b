// Runs fauxqs (Node >= 22.5) for the tests: prints {"port":N} on stdout once listening, exits
// when its parent closes stdin. Port 0 (default) gives each test worker its own free port.
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: Number(process.env.FAUXQS_PORT ?? 0), logger: false });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
