/** The workload features by name. */
import { bigFeature } from './big.js';
import type { Feature, FeatureName } from './common.js';
import { ddlFeature } from './ddl.js';
import { fkFeature } from './fk.js';
import { keylessFeature } from './keyless.js';
import { mixFeature } from './mix.js';
import { myisamFeature } from './myisam.js';
import { objectsFeature } from './objects.js';
import { txnFeature } from './txn.js';
import { typesFeature } from './types.js';
import { uniqueFeature } from './unique.js';

export const FEATURES: Record<FeatureName, Feature> = {
  txn: txnFeature, fk: fkFeature, unique: uniqueFeature, keyless: keylessFeature, types: typesFeature,
  big: bigFeature, ddl: ddlFeature, myisam: myisamFeature, objects: objectsFeature, mix: mixFeature,
};
