// Job-style ESM script: serves JOB_REQUESTS requests to itself, then ends with process.exit(JOB_EXIT)
// at the end of the script (no signal, no empty event loop: its server is still listening). Its own
// 'exit' listener prints what it sees: the exit code and process.exitCode.
import { createServer, get } from 'node:http';
const n = Number(process.env.JOB_REQUESTS ?? 41);
const server = createServer((req, res) => res.end('done'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
for (let i = 0; i < n; i++) {
  await new Promise((resolve, reject) => get(`http://127.0.0.1:${port}/item/${i}`, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
}
process.on('exit', (code) => process.stdout.write(`app exit listener: code ${code}, exitCode ${process.exitCode}\n`));
process.stdout.write(`job done: ${n}\n`);
process.exit(Number(process.env.JOB_EXIT ?? 0));
