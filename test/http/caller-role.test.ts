/**
 * In AWS an IAM route's function answers only sessions of its stack's caller role
 * (`CALLER_ROLE_ARN`); other principals of the account, which API Gateway's IAM authorizer lets
 * through when their own policy allows `execute-api:Invoke`, get 403 FORBIDDEN. The embedded
 * runtime sets no CALLER_ROLE_ARN (bearer tokens) and is not affected.
 */
import { httpHandler, json } from '../../functions/http';
import { isSessionOfRole } from '../../functions/http/caller-role';
import { apiEvent, lambdaContext } from '../kit';

const ROLE = 'arn:aws-cn:iam::222222222222:role/HcxProvince330000-HttpHealthSystemRole1A2B3C-XYZ';
const SESSION =
  'arn:aws-cn:sts::222222222222:assumed-role/HcxProvince330000-HttpHealthSystemRole1A2B3C-XYZ/his-7';

async function statusFor(userArn: string | undefined, role: string | undefined): Promise<[number, string?]> {
  const saved = process.env.CALLER_ROLE_ARN;
  if (role === undefined) delete process.env.CALLER_ROLE_ARN;
  else process.env.CALLER_ROLE_ARN = role;
  try {
    const handler = httpHandler({}, async () => json(200, { ok: true }));
    const res = (await handler(
      apiEvent({ method: 'GET', path: '/v1/registry', iamUserArn: userArn }),
      lambdaContext(),
    )) as { statusCode: number; body?: string };
    return [res.statusCode, res.statusCode === 200 ? undefined : JSON.parse(res.body ?? '{}').code];
  } finally {
    if (saved === undefined) delete process.env.CALLER_ROLE_ARN;
    else process.env.CALLER_ROLE_ARN = saved;
  }
}

describe('the caller role of an IAM route', () => {
  it('lets a session of the role through', async () => {
    expect(await statusFor(SESSION, ROLE)).toEqual([200, undefined]);
  });

  it('refuses an administrator of the same account as FORBIDDEN', async () => {
    expect(await statusFor('arn:aws-cn:iam::222222222222:user/admin', ROLE)).toEqual([403, 'FORBIDDEN']);
  });

  it('refuses a session of another role with a name that only starts the same as FORBIDDEN', async () => {
    const other = SESSION.replace('-XYZ/', '-XYZ2/');
    expect(await statusFor(other, ROLE)).toEqual([403, 'FORBIDDEN']);
  });

  it('refuses the same role name in another account or partition', () => {
    expect(isSessionOfRole(SESSION.replace('222222222222', '999999999999'), ROLE)).toBe(false);
    expect(isSessionOfRole(SESSION.replace('aws-cn', 'aws'), ROLE)).toBe(false);
  });

  it('does not check where no role is named (the embedded runtime)', async () => {
    expect(await statusFor(undefined, undefined)).toEqual([200, undefined]);
  });
});
