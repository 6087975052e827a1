export { MpiDeepSpeedGroup, MpiFsdpGroup, MpiProcessGroup } from './mpi-process-group.js';
