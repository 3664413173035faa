import { PostHog } from 'posthog-node';
import { analytics } from '../support/analytics-client';
import { experimentsClient } from '../support/experiments-client';
import {
  bootstrapOrgCredentials,
  createOtherOrg,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

// Experiment results over HTTP on a real Postgres. Every expected count below is worked out by
// hand from the events listed in `loadScenario`, person by person; the statistics figures are
// derived by hand in the comment beside each.

const FLAG = 'checkout.redesign';
const OTHER_FLAG = 'onboarding.tour';
const CONVERSION = 'purchase_completed';
const T0 = Date.parse('2026-03-01T10:00:00Z');

function at(minutes: number): string {
  return new Date(T0 + minutes * 60_000).toISOString();
}

function exposure(distinctId: string, variant: unknown, minutes: number, flag = FLAG) {
  return {
    event: '$feature_flag_called',
    distinct_id: distinctId,
    properties: { $feature_flag: flag, $feature_flag_response: variant },
    timestamp: at(minutes),
  };
}

function conversion(distinctId: string, minutes: number, event = CONVERSION) {
  return { event, distinct_id: distinctId, timestamp: at(minutes) };
}

interface ArmSummary {
  variant: string;
  exposures: number;
  conversions: number;
}

describe('Experiments', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let api: ReturnType<typeof analytics>;
  let experiments: ReturnType<typeof experimentsClient>;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    api = analytics(sut, org);
    experiments = experimentsClient(sut, org.readKey);
    await loadScenario();
  });
  afterAll(() => sut.close());

  // Who does what (minutes after T0). "exp" is a `$feature_flag_called` of FLAG.
  //   p1  exp control @0, exp test @5, converts @10      -> in both arms: excluded, counted apart
  //   p2  converts @0, exp control @1                    -> control, conversion came first: no
  //   p3  converts @20 (sent first), exp test @10 (sent second)           -> test, converted
  //   p4  exp of OTHER_FLAG @0, converts @5              -> not in this experiment
  //   p5  flag calls without a variant (none, false) @0, converts @5      -> not exposed
  //   p6  anonymous exp test @0, identify, converts as the user @30       -> test, converted
  //   p7  anonymous exp control @0, converts as the user @15, identify    -> control, converted
  //   p8  exp control @2 and @40, never converts         -> control, once, no
  //   p9  exp control @0, converts @1 and @2             -> control, converted once
  //   p10 exp test @0 and @50, converts @25              -> test, converted after the first
  //   p11 exp "legacy" @3 (a variant no experiment declares)               -> legacy, no
  async function loadScenario() {
    await api
      .batch([
        exposure('p1', 'control', 0),
        exposure('p1', 'test', 5),
        conversion('p1', 10),
        conversion('p2', 0),
        exposure('p2', 'control', 1),
        exposure('p4', 'test', 0, OTHER_FLAG),
        conversion('p4', 5),
        { ...exposure('p5', 'x', 0), properties: { $feature_flag: FLAG } },
        exposure('p5', false, 0),
        conversion('p5', 5),
        exposure('p8', 'control', 2),
        exposure('p8', 'control', 40),
        exposure('p9', 'control', 0),
        conversion('p9', 1),
        conversion('p9', 2),
        exposure('p10', 'test', 0),
        exposure('p10', 'test', 50),
        conversion('p10', 25),
        exposure('p11', 'legacy', 3),
      ])
      .expect(200);

    await api.capture(conversion('p3', 20)).expect(200);
    await api.capture(exposure('p3', 'test', 10)).expect(200);

    await api.capture(exposure('anon-p6', 'test', 0)).expect(200);
    await api.identify('anon-p6', 'user-p6').expect(200);
    await api.capture(conversion('user-p6', 30)).expect(200);

    await api.capture(exposure('anon-p7', 'control', 0)).expect(200);
    await api.capture(conversion('user-p7', 15)).expect(200);
    await api.identify('anon-p7', 'user-p7').expect(200);
  }

  async function adHoc(query: Record<string, string>) {
    const params = new URLSearchParams({ flag_key: FLAG, conversion_event: CONVERSION, ...query });
    const response = await experiments.get(`results?${params.toString()}`).expect(200);

    return response.body;
  }

  function arms(results: { variants: ArmSummary[] }) {
    return results.variants.map(({ variant, exposures, conversions }) => ({
      variant,
      exposures,
      conversions,
    }));
  }

  describe('counting', () => {
    it('counts each person once, from the first exposure, leaving out mixed persons', async () => {
      const results = await adHoc({});

      // control: p2 no, p7 yes, p8 no, p9 yes; test: p3, p6, p10 yes; legacy: p11 no.
      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 4, conversions: 2 },
        { variant: 'legacy', exposures: 1, conversions: 0 },
        { variant: 'test', exposures: 3, conversions: 3 },
      ]);
      expect(results.persons_in_multiple_variants).toBe(1);
      expect(results.exposed_persons).toBe(9);
      expect(results.control_variant).toBe('control');
    });

    it('counts conversions within the window after the first exposure, end inclusive', async () => {
      const results = await adHoc({ conversion_window: '10m' });

      // 10 minutes: p9 (1 min) and p3 (exactly 10 min) convert; p7 (15), p6 (30), p10 (25) do not.
      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 4, conversions: 1 },
        { variant: 'legacy', exposures: 1, conversions: 0 },
        { variant: 'test', exposures: 3, conversions: 1 },
      ]);
      expect(results.conversion_window).toBe(600);
    });

    it('reads exposures from start_at on: an earlier one no longer decides the arm', async () => {
      const results = await adHoc({ start_at: at(1) });

      // From @1: p1 has only test @5 (converts @10), p10's first exposure is @50 (after its
      // conversion), p2 @1 and p8 @2 stay in control; p6, p7, p9 drop out.
      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 2, conversions: 0 },
        { variant: 'legacy', exposures: 1, conversions: 0 },
        { variant: 'test', exposures: 3, conversions: 2 },
      ]);
      expect(results.persons_in_multiple_variants).toBe(0);
    });

    it('ignores exposures and conversions from end_at on', async () => {
      const results = await adHoc({ end_at: at(20) });

      // Before @20: p3's conversion @20 is out, p6 @30 and p10 @25 too; p7 @15 and p9 stay.
      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 4, conversions: 2 },
        { variant: 'legacy', exposures: 1, conversions: 0 },
        { variant: 'test', exposures: 3, conversions: 0 },
      ]);
      expect(results.persons_in_multiple_variants).toBe(1);
    });

    it('reports a flag nobody saw as empty arms with null statistics, not an error', async () => {
      const results = await adHoc({ flag_key: 'never.called', control_variant: 'control' });

      expect(results.exposed_persons).toBe(0);
      expect(results.variants).toEqual([
        expect.objectContaining({
          variant: 'control',
          exposures: 0,
          conversion_rate: null,
          null_reasons: expect.objectContaining({ conversion_rate: 'no_exposures' }),
        }),
      ]);
      expect(JSON.stringify(results)).not.toMatch(/NaN|Infinity/);
    });
  });

  describe('under concurrency', () => {
    it('counts each person once when exposures, identifies and conversions race', async () => {
      const flag = 'race.flag';
      const people = Array.from({ length: 24 }, (_, i) => i);

      // Each person's three requests are sent at once, all people in parallel: the identify may
      // land before, between or after the exposure and the conversion.
      await Promise.all(
        people.flatMap((i) => [
          api
            .capture(exposure(`race-anon-${i}`, i % 2 === 0 ? 'control' : 'test', 0, flag))
            .expect(200),
          api.identify(`race-anon-${i}`, `race-user-${i}`).expect(200),
          api.capture(conversion(`race-user-${i}`, i % 3 === 0 ? 5 : -5)).expect(200),
        ]),
      );

      const results = await adHoc({ flag_key: flag });
      const stale = await sut.dataSource.query(
        `SELECT count(*)::int AS count
           FROM exposure_logs el
           JOIN analytics_person_identities i ON i.org_id = el.org_id AND i.distinct_id = el.user_id
          WHERE el.org_id = $1 AND el.flag_key = $2 AND el.person_id <> i.person_id`,
        [org.orgId, flag],
      );

      // 12 per arm; conversions after the exposure are the persons with i % 3 = 0: i = 0, 6, 12,
      // 18 in control (even i) and 3, 9, 15, 21 in test (odd i).
      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 12, conversions: 4 },
        { variant: 'test', exposures: 12, conversions: 4 },
      ]);
      expect(results.persons_in_multiple_variants).toBe(0);
      expect(stale).toEqual([{ count: 0 }]);
    });
  });

  describe('statistics over HTTP', () => {
    it('reports rate, interval, lift, p-value and probability for 2/4 vs 3/3', async () => {
      const results = await adHoc({});
      const test = results.variants.find((arm: ArmSummary) => arm.variant === 'test');

      expect(test.conversion_rate).toBe(1);
      expect(test.conversion_rate_interval.upper).toBe(1);
      // [hand] lift = 1 / 0.5 - 1 = 1; Var(ln RR) = 1/3 - 1/3 + 1/2 - 1/4 = 1/4, so the interval
      // is 2 exp(+-1.959964 * 0.5) - 1.
      expect(test.against_control.relative_lift).toBeCloseTo(1, 12);
      expect(test.against_control.relative_lift_interval.lower).toBeCloseTo(-0.249364285173647, 10);
      expect(test.against_control.relative_lift_interval.upper).toBeCloseTo(4.3288165231058, 10);
      // [hand] pooled 5/7: z = 0.5 / sqrt(5/7 * 2/7 * (1/4 + 1/3)) = 1.449138; p = erfc(z/sqrt 2).
      expect(test.against_control.z_score).toBeCloseTo(1.44913767461894, 10);
      expect(test.against_control.p_value).toBeCloseTo(0.147299138622676, 10);
      // [hand] P(Beta(4,1) > Beta(3,3)) = integral 4x^3 (10x^3 - 15x^4 + 6x^5) dx = 37/42.
      expect(test.against_control.probability_to_beat_control).toBeCloseTo(37 / 42, 10);
    });
  });

  describe('exposure logs', () => {
    it('writes one row per flag call with a variant, together with its event', async () => {
      const event = {
        ...exposure('p-log', 'test', 0, 'log.flag'),
        uuid: '01900000-0000-7000-8000-00000000e001',
      };

      await api.capture(event).expect(200);
      await api.capture(event).expect(200);
      await api.capture({ ...exposure('p-log', null, 1, 'log.flag') }).expect(200);

      const rows = await sut.dataSource.query(
        `SELECT el.event_id, el.flag_key, el.variant, el.user_id,
                el.person_id = i.person_id AS same_person
           FROM exposure_logs el
           JOIN analytics_person_identities i ON i.org_id = el.org_id AND i.distinct_id = el.user_id
          WHERE el.org_id = $1 AND el.flag_key = 'log.flag'`,
        [org.orgId],
      );

      expect(rows).toEqual([
        {
          event_id: '01900000-0000-7000-8000-00000000e001',
          flag_key: 'log.flag',
          variant: 'test',
          user_id: 'p-log',
          same_person: true,
        },
      ]);
    });

    it('takes exposures from the real posthog-node client under /ingest', async () => {
      const baseUrl = await sut.app.getUrl();
      const posthog = new PostHog(org.writeKey, {
        host: `${baseUrl.replace('[::1]', '127.0.0.1')}/ingest`,
        flushAt: 50,
        flushInterval: 60_000,
        disableGeoip: true,
      });

      // The event and properties posthog-node sends when a flag is evaluated, with a timestamp
      // so the conversion provably follows it.
      posthog.capture({
        distinctId: 'ph-exposed',
        event: '$feature_flag_called',
        properties: { $feature_flag: 'ph.flag', $feature_flag_response: 'test' },
        timestamp: new Date(at(0)),
      });
      posthog.capture({ distinctId: 'ph-exposed', event: CONVERSION, timestamp: new Date(at(1)) });
      await posthog.shutdown(10_000);

      const results = await adHoc({ flag_key: 'ph.flag', control_variant: 'control' });

      expect(arms(results)).toEqual([
        { variant: 'control', exposures: 0, conversions: 0 },
        { variant: 'test', exposures: 1, conversions: 1 },
      ]);
    });

    it("gives the right answer to the product document's query on these tables", async () => {
      // The document's example names: flag checkout.new_flow, conversion checkout_completed.
      // d1: anonymous exposure to treatment_a, identify, conversion as the user (one person);
      // d2: control, converts before the exposure; d3: control, converts after it.
      await api
        .batch([
          exposure('anon-d1', 'treatment_a', 0, 'checkout.new_flow'),
          exposure('d2', 'control', 5, 'checkout.new_flow'),
          conversion('d2', 1, 'checkout_completed'),
          exposure('d3', 'control', 0, 'checkout.new_flow'),
          conversion('d3', 3, 'checkout_completed'),
        ])
        .expect(200);
      await api.identify('anon-d1', 'user-d1').expect(200);
      await api.capture(conversion('user-d1', 5, 'checkout_completed')).expect(200);

      const rows = await sut.dataSource.query(`
        SELECT
          el.variant,
          COUNT(DISTINCT ae.person_id) as conversions,
          COUNT(DISTINCT el.user_id) as exposures,
          CAST(COUNT(DISTINCT ae.person_id) AS REAL) /
            COUNT(DISTINCT el.user_id) as conversion_rate
        FROM exposure_logs el
        LEFT JOIN analytics_person_identities api
          ON api.distinct_id = el.user_id
        LEFT JOIN analytics_events ae
          ON ae.person_id = api.person_id
          AND ae.event_name = 'checkout_completed'
          AND ae.timestamp > el.timestamp
        WHERE el.flag_key = 'checkout.new_flow'
        GROUP BY el.variant
        ORDER BY el.variant`);

      expect(rows).toEqual([
        { variant: 'control', conversions: '1', exposures: '2', conversion_rate: 0.5 },
        { variant: 'treatment_a', conversions: '1', exposures: '1', conversion_rate: 1 },
      ]);

      const ours = await adHoc({
        flag_key: 'checkout.new_flow',
        conversion_event: 'checkout_completed',
      });

      expect(arms(ours)).toEqual([
        { variant: 'control', exposures: 2, conversions: 1 },
        { variant: 'treatment_a', exposures: 1, conversions: 1 },
      ]);
    });
  });

  describe('stored experiments', () => {
    const definition = {
      name: 'Checkout redesign',
      flag_key: FLAG,
      variants: [
        { key: 'control', weight: 50 },
        { key: 'test', weight: 50 },
      ],
      control_variant: 'control',
      conversion_event: CONVERSION,
      conversion_window: '10m',
    };

    async function create(body: Record<string, unknown> = definition) {
      const response = await experiments.create(body).expect(201);

      return response.body;
    }

    it('creates, gets, lists and updates an experiment by its exp_ id', async () => {
      const created = await create();

      expect(created).toMatchObject({
        id: expect.stringMatching(/^exp_[0-9a-f-]{36}$/),
        name: 'Checkout redesign',
        conversion_window: 600,
        start_at: null,
        end_at: null,
        status: 'running',
      });
      await experiments.get(created.id).expect(200, created);

      const listed = await experiments.get('?limit=1000').expect(200);
      expect(listed.body.results.map((experiment: { id: string }) => experiment.id)).toContain(
        created.id,
      );

      const updated = await experiments
        .update(created.id, { name: 'Renamed', conversion_window: null })
        .expect(200);
      expect(updated.body).toEqual({
        ...created,
        name: 'Renamed',
        conversion_window: null,
        updated_at: expect.any(String),
      });

      // Checked as a whole: new variants without the stored control are refused.
      const refused = await experiments.update(created.id, { variants: ['a', 'b'] }).expect(400);
      expect(refused.body.message).toContain('control_variant must be one of the variants');
    });

    it('lists declared arms first, and an undeclared variant outside the ratio check', async () => {
      const created = await create();
      const response = await experiments.get(`${created.id}/results`).expect(200);

      expect(response.body.experiment_id).toBe(created.id);
      // Same counts as the ad-hoc 10 minute window: control 4/1, test 3/1, legacy 1/0.
      expect(arms(response.body)).toEqual([
        { variant: 'control', exposures: 4, conversions: 1 },
        { variant: 'test', exposures: 3, conversions: 1 },
        { variant: 'legacy', exposures: 1, conversions: 0 },
      ]);
      // [hand] 4 vs 3 against 3.5 each: chi-square = 2 * 0.5^2 / 3.5 = 1/7.
      expect(response.body.sample_ratio_mismatch).toMatchObject({
        degrees_of_freedom: 1,
        expected_shares: { control: 0.5, test: 0.5 },
        mismatch: false,
      });
      expect(response.body.sample_ratio_mismatch.chi_square).toBeCloseTo(1 / 7, 12);
    });

    it('ends an experiment once: end_at is set to now and kept on a second end', async () => {
      const created = await create();
      const before = Date.now();
      const ended = await experiments.end(created.id).expect(200);
      const again = await experiments.end(created.id).expect(200);

      expect(ended.body.status).toBe('ended');
      expect(Date.parse(ended.body.end_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(again.body.end_at).toBe(ended.body.end_at);
    });

    it.each([
      ['no name', { name: '' }, 'name must be a string'],
      ['one variant', { variants: ['control'] }, 'variants must be a list of 2 to 20'],
      ['repeated variants', { variants: ['control', 'control'] }, 'variant keys must be distinct'],
      ['half the weights', { variants: [{ key: 'control', weight: 1 }, 'test'] }, 'give a weight'],
      [
        'a zero weight',
        {
          variants: [
            { key: 'control', weight: 0 },
            { key: 'test', weight: 1 },
          ],
        },
        'positive weight',
      ],
      [
        'an undeclared control',
        { control_variant: 'other' },
        'control_variant must be one of the variants',
      ],
      [
        'a bad event name',
        { conversion_event: 'Purchase Completed' },
        'conversion_event must be an event name',
      ],
      [
        'an end before the start',
        { start_at: at(10), end_at: at(5) },
        'end_at must be later than start_at',
      ],
      ['a bad window', { conversion_window: '2w' }, 'conversion_window must be'],
      ['a bad time', { start_at: 'yesterday' }, 'start_at must be an ISO 8601 time'],
    ])('refuses %s with 400 invalid_experiment', async (_case, change, message) => {
      const response = await experiments.create({ ...definition, ...change }).expect(400);

      expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_experiment' });
      expect(response.body.message).toContain(message);
    });

    it('refuses an unknown field with 400', async () => {
      await experiments.create({ ...definition, owner: 'me' }).expect(400);
    });

    it('answers 404 for an id that is not an experiment of this org', async () => {
      await experiments.get('exp_01900000-0000-7000-8000-000000000000').expect(404);
      await experiments.get('key_01900000-0000-7000-8000-000000000000/results').expect(404);
    });

    it("keeps each org's experiments and exposures to itself", async () => {
      const created = await create();
      const other = await createOtherOrg(sut, 'Elsewhere');
      const theirs = experimentsClient(sut, other.readKey);
      const params = new URLSearchParams({ flag_key: FLAG, conversion_event: CONVERSION });

      await theirs.get(created.id).expect(404);
      await theirs.get(`${created.id}/results`).expect(404);
      const results = await theirs.get(`results?${params.toString()}`).expect(200);
      expect(results.body.exposed_persons).toBe(0);
    });

    it('refuses the experiment routes to a write key (403)', async () => {
      await sut
        .http()
        .get('/api/analytics/experiments')
        .set('Authorization', `Bearer ${org.writeKey}`)
        .expect(403);
    });
  });

  describe('ad-hoc query validation', () => {
    it.each([
      ['no flag_key', { flag_key: '' }],
      ['a bad conversion_event', { conversion_event: 'Bad Event' }],
      ['a bad window', { conversion_window: 'soon' }],
      ['a bad start_at', { start_at: 'not a time' }],
      ['end_at before start_at', { start_at: at(5), end_at: at(1) }],
    ])('refuses %s with 400 invalid_query', async (_case, query) => {
      const params = new URLSearchParams({
        flag_key: FLAG,
        conversion_event: CONVERSION,
        ...query,
      });
      const response = await experiments.get(`results?${params.toString()}`).expect(400);

      expect(response.body.error).toBe('invalid_query');
    });
  });
});
