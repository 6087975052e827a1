import type { HparamValue } from '@aligntune/core/training';
import { ProtoWriter } from './proto-writer.js';

// Field numbers from tensorboard/compat/proto (event.proto, summary.proto, tensor.proto, tensor_shape.proto,
// types.proto), tensorboard/plugins/hparams/plugin_data.proto and google/protobuf/struct.proto.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 7 } as const;
const SESSION_LOG = { status: 1, start: 1 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, tensor: 8, metadata: 9 } as const;
const METADATA = { pluginData: 1 } as const;
const PLUGIN_DATA = { pluginName: 1, content: 2 } as const;
const TENSOR = { dtype: 1, shape: 2, stringVal: 8 } as const;
const SHAPE = { dim: 2 } as const;
const DT_FLOAT = 1;
const DT_STRING = 7;
const HPARAMS_PLUGIN_DATA = { sessionStartInfo: 3 } as const;
const SESSION_START_INFO = { hparams: 1, startTimeSecs: 5 } as const;
const MAP_ENTRY = { key: 1, value: 2 } as const;
const STRUCT_VALUE = { number: 2, string: 3, bool: 4 } as const;

/** Every event file starts with this record; readers reject files whose first event carries another version. */
export const FILE_VERSION = 'brain.Event:2';
/** The tag TensorBoard's hparams plugin looks for in each run (its SESSION_START_INFO_TAG). */
export const SESSION_START_INFO_TAG = '_hparams_/session_start_info';

function event(wallTime: number, step: number): ProtoWriter {
  const e = new ProtoWriter().double(EVENT.wallTime, wallTime);
  return step === 0 ? e : e.varint(EVENT.step, step);
}

export function fileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0).string(EVENT.fileVersion, FILE_VERSION).finish();
}

/**
 * SessionLog START at `step`: TensorBoard drops what it has read at this step and later, so scalars a crashed
 * run logged past the checkpoint it resumes from do not show twice.
 */
export function sessionStartEvent(wallTime: number, step: number): Uint8Array {
  const log = new ProtoWriter().varint(SESSION_LOG.status, SESSION_LOG.start);
  return event(wallTime, step).message(EVENT.sessionLog, log).finish();
}

export function summaryEvent(wallTime: number, step: number, values: readonly ProtoWriter[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const value of values) summary.message(SUMMARY.value, value);
  return event(wallTime, step).message(EVENT.summary, summary).finish();
}

/** A legacy simple_value: TensorBoard reads it as a scalar (NaN and ±Infinity included). */
export function scalarValue(tag: string, value: number): ProtoWriter {
  return new ProtoWriter().string(VALUE.tag, tag).float(VALUE.simpleValue, value);
}

/** A rank-0 DT_STRING tensor under the text plugin, which renders it as markdown. */
export function textValue(tag: string, text: string): ProtoWriter {
  const tensor = new ProtoWriter()
    .varint(TENSOR.dtype, DT_STRING)
    .message(TENSOR.shape, new ProtoWriter())
    .string(TENSOR.stringVal, text);
  // TextPluginData{version: 0} serializes to no bytes, so the content is empty
  return new ProtoWriter().string(VALUE.tag, tag).message(VALUE.metadata, pluginMetadata('text', new Uint8Array())).message(VALUE.tensor, tensor);
}

/** HParamsPluginData{version: 0, session_start_info} on the tag the hparams plugin reads, as its Python summary writes it. */
export function hparamsValue(hparams: Readonly<Record<string, HparamValue>>, startTimeSecs: number): ProtoWriter {
  const info = new ProtoWriter();
  for (const [name, value] of Object.entries(hparams)) {
    info.message(SESSION_START_INFO.hparams, new ProtoWriter().string(MAP_ENTRY.key, name).message(MAP_ENTRY.value, structValue(value)));
  }
  info.double(SESSION_START_INFO.startTimeSecs, startTimeSecs);
  const content = new ProtoWriter().message(HPARAMS_PLUGIN_DATA.sessionStartInfo, info).finish();
  return new ProtoWriter()
    .string(VALUE.tag, SESSION_START_INFO_TAG)
    .message(VALUE.metadata, pluginMetadata('hparams', content))
    .message(VALUE.tensor, emptyFloatTensor());
}

function pluginMetadata(pluginName: string, content: Uint8Array): ProtoWriter {
  const data = new ProtoWriter().string(PLUGIN_DATA.pluginName, pluginName);
  if (content.length) data.bytes(PLUGIN_DATA.content, content);
  return new ProtoWriter().message(METADATA.pluginData, data);
}

function structValue(value: HparamValue): ProtoWriter {
  const v = new ProtoWriter();
  if (typeof value === 'number') return v.double(STRUCT_VALUE.number, value);
  if (typeof value === 'boolean') return v.varint(STRUCT_VALUE.bool, value);
  return v.string(STRUCT_VALUE.string, value);
}

/**
 * A float tensor of shape [0] (the hparams plugin's own NULL_TENSOR): TensorBoard indexes a tag only through
 * its tensors, while the hparams data lives in the metadata alone.
 */
function emptyFloatTensor(): ProtoWriter {
  const dim = new ProtoWriter(); // Dim{size: 0}
  return new ProtoWriter().varint(TENSOR.dtype, DT_FLOAT).message(TENSOR.shape, new ProtoWriter().message(SHAPE.dim, dim));
}
