import type { NotifyConfig } from '../config.js';
import { aliyunProvider } from './aliyun.js';
import { tencentProvider } from './tencent.js';
import type { NotifyProvider } from './types.js';

export * from './types.js';

/** The configured provider's adapter (infra/config.ts checked its settings whole). */
export function notifyProvider(config: NotifyConfig): NotifyProvider {
  switch (config.provider) {
    case 'aliyun':
      return aliyunProvider({
        accessKeyId: config.keyId,
        accessKeySecret: config.keySecret,
        signName: config.signName,
        alertTemplate: config.alertTemplate,
        replyTemplate: config.replyTemplate,
        voiceTemplate: config.voiceTemplate,
        voiceCaller: config.voiceCaller,
        smsEndpoint: config.smsEndpoint,
        voiceEndpoint: config.voiceEndpoint,
        timeoutMs: config.timeoutMs,
      });
    case 'tencent': {
      // Tencent's SDK takes a host and a protocol; the setting is a URL like the others.
      const split = (url: string | undefined) => (url ? { host: new URL(url).host, protocol: `${new URL(url).protocol}//` as 'https://' | 'http://' } : undefined);
      const sms = split(config.smsEndpoint);
      const vms = split(config.voiceEndpoint);
      return tencentProvider({
        secretId: config.keyId,
        secretKey: config.keySecret,
        region: config.region,
        smsAppId: config.smsAppId,
        signName: config.signName,
        alertTemplate: config.alertTemplate,
        replyTemplate: config.replyTemplate,
        voiceTemplate: config.voiceTemplate,
        voiceAppId: config.voiceAppId,
        smsEndpoint: sms?.host,
        voiceEndpoint: vms?.host,
        protocol: sms?.protocol ?? 'https://',
        timeoutMs: config.timeoutMs,
      });
    }
    default: {
      const never: never = config;
      return never;
    }
  }
}
