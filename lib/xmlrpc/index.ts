export {
  XmlRpcDouble,
  DEFAULT_LIMITS,
  decodeMethodCall,
  decodeMethodResponse,
  encodeMethodCall,
  encodeMethodResponse,
  encodeFault,
  escapeText,
} from './codec.js'
export type { XmlRpcValue, XmlRpcStruct, MethodCall, MethodResponse, DecodeLimits } from './codec.js'
