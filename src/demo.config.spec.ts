import { describe, expect, it } from '@jest/globals';
import { ConfigService } from '@nestjs/config';
import { DemoConfigError, demoLoginLimits } from './demo.config.js';

describe('demoLoginLimits', () => {
  const limits = (env: Record<string, string>) =>
    demoLoginLimits(new ConfigService(env));

  it('is 60 attempts per address and 20 per username in 60 s by default', () => {
    expect(limits({})).toEqual({
      perIp: 60,
      perUsername: 20,
      windowSeconds: 60,
    });
    expect(
      limits({
        LOGIN_LIMIT_PER_IP: '',
        LOGIN_LIMIT_PER_USERNAME: '',
        LOGIN_LIMIT_WINDOW: '',
      }),
    ).toEqual({ perIp: 60, perUsername: 20, windowSeconds: 60 });
  });

  it('reads each from its variable', () => {
    expect(
      limits({
        LOGIN_LIMIT_PER_IP: '1',
        LOGIN_LIMIT_PER_USERNAME: '999999999',
        LOGIN_LIMIT_WINDOW: '3600',
      }),
    ).toEqual({ perIp: 1, perUsername: 999_999_999, windowSeconds: 3600 });
  });

  it.each(['0', '-1', '1.5', '1e3', '010', ' 5', '5s', '1000000000'])(
    'refuses %j, naming the variable',
    (value) => {
      const refusal = () => limits({ LOGIN_LIMIT_PER_USERNAME: value });
      expect(refusal).toThrow(DemoConfigError);
      expect(refusal).toThrow(
        'LOGIN_LIMIT_PER_USERNAME must be a whole number from 1 to 999999999',
      );
    },
  );
});
