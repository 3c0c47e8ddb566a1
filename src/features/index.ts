// NTK eigen-features (spec §5): features, their usefulness/robustness, pictures, robust-only kernels.
export { eigenFeatures, spectralWeight, chooseEigenMethod, eigenFeatureBytes, positionOf, type EigenFeatures, type EigenFeatureOptions, type EigenMethod } from './eigen_features.js';
export { memberCoefficients, memberMachine, fullMachine, projections, projectionBasis, memberOutputs, machineOutputs, withResidentTrain, type Member } from './members.js';
export { attackMembers, memberBlock, jacobianBlock, combineGradients, type MemberAttackOptions, type MemberAttackResult } from './attack_members.js';
export { pgdMembers, stackedMemberModel, type PgdMemberOptions } from './pgd_members.js';
export { memberGradients, pickOutputs } from './gradients.js';
export { featureStats, usefulNonRobust, usefulNonRobustRule, majorityShare, type FeatureStat, type UsefulNonRobustRule } from './feature_stats.js';
export { robustKernelCurve, type RobustKernelOptions, type RobustKernelResult, type LabelledSet } from './robust_kernel.js';
