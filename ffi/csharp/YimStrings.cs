// YimStrings.cs: the two conversions a C# caller of NativeMethods.g.cs needs, written by hand
// (the generated binding passes raw UTF-8 pointers, as the C interface does).
//
// Managed strings go in as NUL-terminated UTF-8 byte arrays, pinned with `fixed` for the call;
// strings and bytes in a YimEvent come out as copies, taken before yim_free_event.
using System;
using System.Text;

namespace Yim
{
    public static unsafe class YimStrings
    {
        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/>; null for null.</summary>
        public static byte[] Z(string text)
        {
            if (text == null) return null;
            byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
            Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The string of an event field: <paramref name="len"/> UTF-8 bytes.</summary>
        public static string Read(byte* ptr, UIntPtr len)
        {
            if (ptr == null) return "";
            return Encoding.UTF8.GetString(ptr, checked((int)len.ToUInt64()));
        }

        /// <summary>A copy of an event's byte payload.</summary>
        public static byte[] ReadBytes(byte* ptr, UIntPtr len)
        {
            int count = checked((int)len.ToUInt64());
            byte[] copy = new byte[count];
            for (int i = 0; i < count; i++) copy[i] = ptr[i];
            return copy;
        }
    }
}
