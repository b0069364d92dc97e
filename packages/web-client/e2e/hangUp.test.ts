import { afterAll, beforeAll, expect, it } from 'vitest';
import { E2EStack } from './support/stack.ts';

// A hang-up shows "ended" once the server confirmed it, never before: while the server does not
// confirm (unreachable, or answering an error), the page says so and tries again; the other side,
// still in the call, is never left facing a practitioner who believes the call is over.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('says a hang-up the server did not confirm, tries again, and shows ended only once it is', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  // The doctor's signaling goes through a relay that, while `refusing`, answers each hang-up
  // request itself with the error a server in trouble gives (the request never reaches it).
  let refusing = false;
  let refused = 0;
  await doctor.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const hangUp = typeof m === 'string' ? /^42(\d+)\["consultation:hangUp"/.exec(m) : null;
      if (refusing && hangUp) {
        refused++;
        ws.send(`43${hangUp[1]}[{"ok":false,"code":"UNAVAILABLE","message":"the service is briefly unavailable"}]`);
        return;
      }
      server.send(m);
    });
    server.onMessage((m) => ws.send(m));
  });
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, patient, patientLink, 'Hana Ito');
  await doctor.getByTestId('call').waitFor();
  await patient.getByTestId('call').waitFor();

  refusing = true;
  await doctor.getByTestId('hang-up').click();
  await doctor.locator('[data-testid="ending"][data-ending="unconfirmed"]').waitFor({ timeout: 5_000 });
  expect(await doctor.getByTestId('ending').textContent()).toContain('has not confirmed the end');
  // It keeps trying (1 s, then 2 s apart), and shows no end meanwhile, on either side.
  await expect.poll(() => refused, { timeout: 8_000 }).toBeGreaterThanOrEqual(3);
  expect(await doctor.getByTestId('ended').count()).toBe(0);
  expect(await patient.getByTestId('ended').count()).toBe(0);
  await expect(patient.getByTestId('call').count()).resolves.toBe(1);

  // The server answers again: the next try ends the call, on both sides.
  refusing = false;
  await doctor.getByTestId('ended').waitFor({ timeout: 15_000 });
  await patient.getByTestId('ended').waitFor({ timeout: 5_000 });
  expect(await doctor.getByTestId('ending').count()).toBe(0);
});
