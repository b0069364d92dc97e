// Logs in as the demo practitioner and creates one consultation; prints its patient link.
const api = process.env['VISITA_API'] ?? 'http://127.0.0.1:4000';
const login = await fetch(`${api}/api/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: process.env['VISITA_DEMO_EMAIL'], password: process.env['VISITA_DEMO_PASSWORD'] }),
});
const session = (await login.json()) as { ok: boolean; data?: { token: string }; message?: string };
if (!session.ok || !session.data) throw new Error(`demo login failed: ${session.message}`);
const created = await fetch(`${api}/api/consultations`, {
  method: 'POST',
  headers: { authorization: `Bearer ${session.data.token}` },
});
const body = (await created.json()) as { ok: boolean; data?: { patientLink: string }; message?: string };
if (!body.ok || !body.data) throw new Error(`creating the demo consultation failed: ${body.message}`);
console.log(body.data.patientLink);
