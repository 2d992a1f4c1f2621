using System.Runtime.InteropServices;

namespace CustomLabels.Core.Storage.Embedded;

/// <summary>The one system call the embedded bucket needs that .NET does not offer: a hard link, refused when the name exists.</summary>
internal static class NativeMethods
{
    /// <summary>errno when the new name exists already (the same on Linux and macOS).</summary>
    public const int AlreadyExists = 17;

    /// <summary>link(2): gives the file at <paramref name="existing"/> a second name; 0, or -1 with errno set.</summary>
    /// <remarks>A classic import, so that Core needs no unsafe code; on Unix its strings are marshalled as UTF-8.</remarks>
#pragma warning disable SYSLIB1054 // LibraryImport would need AllowUnsafeBlocks for its generated code
    [DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Link(string existing, string newName);
#pragma warning restore SYSLIB1054
}
