namespace Sluice.Spooling;

/// <summary>
/// The batch ids of one segment not yet acknowledged: one bit per id from the segment's first id, so
/// the spool's memory grows by a bit per batch on disk, never by its bytes. Not thread-safe.
/// </summary>
internal sealed class LiveSet(long baseId)
{
    private ulong[] _bits = new ulong[1];

    /// <summary>Ids in the set.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="id"/> (at least the base id).</summary>
    public void Add(long id)
    {
        long index = id - baseId;
        if (index < 0)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"The id is below the set's first id {baseId}.");
        int word = checked((int)(index >> 6));
        if (word >= _bits.Length)
            Array.Resize(ref _bits, Math.Max(word + 1, _bits.Length * 2));
        ulong mask = 1UL << (int)(index & 63);
        if ((_bits[word] & mask) == 0)
        {
            _bits[word] |= mask;
            Count++;
        }
    }

    /// <summary>Removes <paramref name="id"/>; false if it was not in the set.</summary>
    public bool Remove(long id)
    {
        if (!Contains(id))
            return false;
        long index = id - baseId;
        _bits[index >> 6] &= ~(1UL << (int)(index & 63));
        Count--;
        return true;
    }

    /// <summary>Whether <paramref name="id"/> is in the set.</summary>
    public bool Contains(long id)
    {
        long index = id - baseId;
        return index >= 0 && (index >> 6) < _bits.Length && (_bits[index >> 6] & (1UL << (int)(index & 63))) != 0;
    }
}
