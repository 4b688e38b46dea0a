import re,os,sys,itertools
def modules(src):
    mods={}
    for root,_,files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'): continue
            p=os.path.join(root,f); rel=os.path.relpath(p,src)[:-3]
            if rel in ('lib','main'): path=()
            else: path=tuple(rel.split('/'))
            if path and path[-1]=='mod': path=path[:-1]
            if 'tests' in path: continue
            mods[path]=open(p).read()
    return mods
def resolve(mods, cur, parts):
    # longest prefix that is a module
    for n in range(len(parts),-1,-1):
        if tuple(parts[:n]) in mods: return tuple(parts[:n])
    return ()
for crate in sys.argv[1:]:
    mods=modules(crate)
    edges=set()
    for m,src in mods.items():
        src=re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*', '', src, flags=re.S)
        for mm in re.finditer(r'\b(crate|super)::((?:\w+::)*\w+|\{)', src):
            kind, rest = mm.group(1), mm.group(2)
            parts=[x for x in rest.split('::') if x and x!='{']
            base=() if kind=='crate' else m[:-1]
            # handle crate::{a, b}: look at brace contents
            if rest=='{' :
                end=src.index('}',mm.end()); names=[n.strip().split('::')[0] for n in src[mm.end():end].split(',')]
                targets=[resolve(mods,m,list(base)+[n]) for n in names if n]
            else:
                targets=[resolve(mods,m,list(base)+parts)]
            for t in targets:
                if t!=m: edges.add((m,t))
    # sibling edges: same parent; project deeper modules to ancestor siblings
    proj=set()
    for a,b in edges:
        # find common prefix
        k=0
        while k<min(len(a),len(b)) and a[k]==b[k]: k+=1
        if k<len(a) and k<len(b):
            proj.add((a[:k+1],b[:k+1]))
    cyc=[(a,b) for a,b in proj if (b,a) in proj and a<b]
    print(crate, "cycles:", ["/".join(a)+" <-> "+"/".join(b) for a,b in cyc] or "none")
