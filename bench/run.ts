/**
 * `npm run bench`: every benchmark, ratios measured within one run (the machine is shared and
 * noisy, so only same-run ratios mean anything). Progress goes to stderr; the last line on stdout
 * is one JSON object for scripts.
 */
import './quiet'; // first: quiet logs before any domain module loads
import { loadavg } from 'node:os';
import { GOAL_BUNDLE_KB, GOAL_OVER_SDK_FLOOR_MS, runColdStartBench } from './cold-start';
import { codeRevocationBenchLines, runCodeRevocationBench } from './code-revocations';
import { httpBenchLines, runHttpBench } from './http';
import { runScaleBench, scaleBenchLines } from './scale';
import { runSm2Bench } from './sm2';
import { runPagesBench } from './pages';
import { runVerifyBench } from './verify';

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  console.error('verification: verifyCode vs raw crypto.verify of the same signature');
  const verify = await runVerifyBench();
  console.log(
    `verifyCode single-threaded: ${verify.verifyPerSecondSingle}/s vs raw ${verify.rawVerifyPerSecondSingle}/s = ${verify.verifyRatioSingle}x (goal >= 0.85x; blocks p25-p75 ${verify.verifyRatioSingleP25}-${verify.verifyRatioSingleP75})`,
  );
  console.log(
    `verifyCode on all cores:    ${verify.verifyPerSecondParallel}/s vs raw ${verify.rawVerifyPerSecondParallel}/s = ${verify.verifyRatioParallel}x (goal >= 0.85x; blocks p25-p75 ${verify.verifyRatioParallelP25}-${verify.verifyRatioParallelP75}, by CPU time ${verify.verifyRatioParallelCpu}x)`,
  );
  console.log(
    `verifyCode vs raw verify with fresh buffers: ${verify.verifyRatioFreshBuffers}x; verifyCode of the QR form: ${verify.verifyRatioQrForm}x; ` +
      `by CPU time: ${verify.verifyRatioSingleCpu}x, ${verify.verifyRatioFreshBuffersCpu}x, ${verify.verifyRatioQrFormCpu}x`,
  );
  console.log(
    `typical code: ${verify.codeLength} characters (QR form ${verify.qrTextLength}: prefix + digits), QR version ${verify.qrVersion} (${verify.qrModules}x${verify.qrModules} modules) at error correction M`,
  );
  console.log(`holder binding (scrypt N=2^15, r=8, p=1): ${verify.holderBindingMs} ms per derivation`);
  Object.assign(out, verify);

  console.error('SM2: verifyCode of an SM2 code vs an ES256 code, and the SM2 primitive vs sm-crypto(-v2)');
  const sm2 = await runSm2Bench();
  console.log(
    `SM2 verifyCode: ${sm2.sm2VerifyPerSecond}/s vs ES256 ${sm2.es256VerifyPerSecond}/s = ${sm2.sm2ToEs256VerifyRatio}x; ` +
      `SM2 signature check: hcx ${sm2.sm2PrimitivePerSecond}/s, sm-crypto-v2 ${sm2.smCryptoV2PrimitivePerSecond}/s, ` +
      `sm-crypto ${sm2.smCryptoPrimitivePerSecond}/s (ES256 ${sm2.es256PrimitivePerSecond}/s)`,
  );
  Object.assign(out, sm2);

  console.error('code revocations by id: bytes of the signed request a row keeps, and checking it');
  const codeRevocations = await runCodeRevocationBench();
  codeRevocationBenchLines(codeRevocations).forEach((line) => console.log(line));
  Object.assign(out, codeRevocations);

  console.error('cold start: each handler bundled as CDK would, vs an empty middy handler');
  const cold = await runColdStartBench({ print: true });
  const floorRatios = cold.sdkFloors.map((f) => f.ratio);
  console.log(
    `largest bundle ${cold.maxBundleKB} KB (goal < ${GOAL_BUNDLE_KB} KB), slowest cold init ${cold.maxColdInitRatio}x the empty handler; ` +
      `the empty handler creating the same SDK clients: ${Math.min(...floorRatios)}-${Math.max(...floorRatios)}x, ` +
      `hcx's own code at most ${cold.maxOverSdkFloorMs} CPU ms over it (goal <= ${GOAL_OVER_SDK_FLOOR_MS} ms, ` +
      `${cold.withinGoalOverSdkFloor} functions within it, median ${cold.medianOverSdkFloorMs} ms; ` +
      `wall clock ${cold.maxOverSdkFloorWallMs} ms at load ${loadavg()[0].toFixed(2)})`,
  );
  Object.assign(out, {
    maxBundleKB: cold.maxBundleKB,
    maxColdInitRatio: cold.maxColdInitRatio,
    maxColdFirstRatio: cold.maxColdFirstRatio,
    sdkFloorRatios: Object.fromEntries(cold.sdkFloors.map((f) => [f.sdk, f.ratio])),
    maxOverSdkFloorMs: cold.maxOverSdkFloorMs,
    withinGoalOverSdkFloor: cold.withinGoalOverSdkFloor,
    medianOverSdkFloorMs: cold.medianOverSdkFloorMs,
    maxOverSdkFloorWallMs: cold.maxOverSdkFloorWallMs,
  });
  console.error(
    'verification over HTTP: embedded runtime vs bare node:http + crypto.verify (autocannon, keep-alive)',
  );
  const http = await runHttpBench();
  httpBenchLines(http).forEach((line) => console.log(line));
  Object.assign(out, http);

  console.error('scale: 1M and 10M active revocations across 34 provinces (also `npm run bench:scale`)');
  const scale = await runScaleBench();
  scaleBenchLines(scale).forEach((line) => console.log(line));
  const { at1M: _at1M, at10M: _at10M, exchangeColdStart: _coldStart, ...scaleKeys } = scale;
  Object.assign(out, scaleKeys);
  console.error('pages: checkpoint script size, and verification inside Chromium');
  const pages = await runPagesBench();
  console.log(
    `checkpoint page script ${pages.checkpointPageKB} KB gzipped with the QR decoder (goal <= 150 KB), wallet ${pages.walletPageKB} KB; ` +
      (pages.pageVerifyMs === null
        ? 'no Chromium: in-page verification not measured'
        : `in the page: verifyCode ${pages.pageVerifyMs} ms median (goal <= 20 ms), first ${pages.pageFirstVerifyMs} ms, holder check (scrypt) ${pages.pageHolderCheckMs} ms; SM2 code ${pages.pageSm2VerifyMs} ms median, first ${pages.pageSm2FirstVerifyMs} ms`),
  );
  Object.assign(out, pages);

  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
