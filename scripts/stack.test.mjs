// The application stack as CloudFormation will receive it: serverless.yml packaged offline by osls
// (`cargo xtask stack`, run by `cargo xtask test` into target/stack/<stage>/), read back here.
// Every API Gateway route is also asked of the real host, so the stack cannot route to nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repo, startHost } from '../web-demo/tests/harness.mjs';

const stackDir = process.env.RESIZE_STACK_DIR ?? resolve(repo, 'target/stack');
const read = (stage, file) => JSON.parse(readFileSync(join(stackDir, stage, file), 'utf8'));
const template = (stage) => read(stage, 'cloudformation-template-update-stack.json');
const ofType = (t, type) => Object.entries(t.Resources).filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r }));
const one = (t, type) => {
  const all = ofType(t, type);
  assert.equal(all.length, 1, `one ${type}`);
  return all[0].Properties;
};

/** "GET /image/{key+}" for each API Gateway method, from the resource tree. */
function routes(t) {
  const resources = Object.fromEntries(ofType(t, 'AWS::ApiGateway::Resource').map((r) => [r.id, r.Properties]));
  const path = (ref) => {
    if (ref['Fn::GetAtt']) return '';
    const r = resources[ref.Ref];
    return `${path(r.ParentId)}/${r.PathPart}`;
  };
  return ofType(t, 'AWS::ApiGateway::Method').map(({ Properties: m }) => ({
    route: `${m.HttpMethod} ${path(m.ResourceId) || '/'}`,
    keyRequired: m.ApiKeyRequired === true,
    integration: m.Integration.Type,
  }));
}

const WRITING = ['POST /image', 'POST /uploads'];
const READING = ['GET /', 'GET /app.js', 'GET /worker.js', 'GET /style.css', 'GET /config', 'GET /health',
  'GET /wasm/{file}', 'GET /image/{key+}'];

for (const [stage, expected] of Object.entries({
  dev: { retention: 14, quota: 5000, rate: 10, burst: 20 },
  master: { retention: 90, quota: 100000, rate: 50, burst: 100 },
})) {
  test(`${stage}: the function is the arm64 zip on provided.al2023, traced, with the bucket`, () => {
    const t = template(stage);
    const fn = one(t, 'AWS::Lambda::Function');
    assert.equal(fn.Runtime, 'provided.al2023');
    assert.deepEqual(fn.Architectures, ['arm64']);
    assert.equal(fn.Handler, 'bootstrap');
    assert.match(fn.Code.S3Key, /\/bootstrap\.zip$/);
    assert.equal(read(stage, 'serverless-state.json').package.artifact, 'bootstrap.zip');
    assert.match(readFileSync(join(repo, 'serverless.yml'), 'utf8'), /artifact: target\/lambda\/arm64\/lambda-host\/bootstrap\.zip/);
    assert.deepEqual(fn.TracingConfig, { Mode: 'Active' }, 'X-Ray tracing on the function');
    assert.equal(fn.MemorySize, 1769);
    assert.equal(fn.Timeout, 28);
    const env = fn.Environment.Variables;
    assert.equal(env.S3_BUCKET, 'resize-image-images-123456789012-eu-west-1');
    assert.equal(env.RESIZE_API_KEY_REQUIRED, 'true');
    assert.equal(env.RESIZE_PUBLIC_BASE_URL, 'https://d111111abcdef8.cloudfront.net');
  });

  test(`${stage}: the function may touch the bucket's objects and nothing broader`, () => {
    const t = template(stage);
    const statements = ofType(t, 'AWS::IAM::Role').flatMap((r) => r.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement));
    const actions = (s) => [s.Action].flat();
    const s3 = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    assert.deepEqual(s3, [{
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::resize-image-images-123456789012-eu-west-1/*',
    }]);
    for (const s of statements) {
      assert.ok(!actions(s).some((a) => a === '*' || a.endsWith(':*')), `no wildcard action: ${JSON.stringify(s)}`);
      // X-Ray's two write calls take no resource but `*` (AWS's rule); nothing else may.
      if ([s.Resource].flat().includes('*')) assert.deepEqual(actions(s), ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    }
  });

  test(`${stage}: logs are kept ${expected.retention} days`, () => {
    const groups = ofType(template(stage), 'AWS::Logs::LogGroup').map((g) => g.Properties);
    assert.deepEqual(groups.map((g) => g.LogGroupName).sort(), [`/aws/api-gateway/resize-image-${stage}`, `/aws/lambda/resize-image-${stage}-api`]);
    for (const g of groups) assert.equal(g.RetentionInDays, expected.retention, g.LogGroupName);
  });

  test(`${stage}: binary media types let uploads in and the module and images out`, () => {
    assert.deepEqual(one(template(stage), 'AWS::ApiGateway::RestApi').BinaryMediaTypes, ['*/*']);
  });

  test(`${stage}: keys on the writing routes only, in a usage plan with throttling and a quota`, () => {
    const t = template(stage);
    const got = routes(t);
    assert.deepEqual(got.map((r) => r.route).sort(), [...WRITING, ...READING].sort(), 'a method for every host route');
    for (const r of got) {
      assert.equal(r.keyRequired, WRITING.includes(r.route), `${r.route}: ApiKeyRequired`);
      assert.equal(r.integration, 'AWS_PROXY', `${r.route} goes to the function`);
    }
    const plan = one(t, 'AWS::ApiGateway::UsagePlan');
    assert.deepEqual(plan.Quota, { Limit: expected.quota, Period: 'DAY' });
    assert.deepEqual(plan.Throttle, { BurstLimit: expected.burst, RateLimit: expected.rate });
    assert.deepEqual(plan.ApiStages.map((s) => s.Stage), [stage]);
    const key = one(t, 'AWS::ApiGateway::ApiKey');
    assert.equal(key.Name, `resize-image-${stage}`, 'the key deploy.yml reads');
    assert.deepEqual(key.StageKeys.map((k) => k.StageName), [stage]);
    const link = one(t, 'AWS::ApiGateway::UsagePlanKey');
    assert.equal(link.KeyType, 'API_KEY');
    assert.ok(t.Outputs.ServiceEndpoint, 'deploy.yml reads the URL from ServiceEndpoint');
  });
}

let host, base;
before(async () => { ({ host, base } = await startHost()); });
after(() => host?.kill());

test('the host answers every route API Gateway sends it', async () => {
  const fill = (route) => route.replace('{file}', 'resize_wasm_bg.wasm').replace('{key+}', 'nothing/here.jpg');
  for (const route of routes(template('dev')).map((r) => r.route)) {
    const [method, path] = route.split(' ');
    const answer = await fetch(base + fill(path), { method, ...(method === 'POST' ? { body: new FormData() } : {}) });
    const body = await answer.text();
    // The router's fallback is the only "no such route"; any other answer means a handler ran.
    assert.ok(!body.includes('no such route'), `${route}: the host has no such route (${answer.status})`);
  }
});
